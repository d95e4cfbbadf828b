/*
 * t_seccomp.h: making one system call fail in a test's child process with
 * a seccomp filter, to reach the error paths of a full disk, an old kernel
 * or a process out of file descriptors without having one. Shared by the
 * storage unit tests and the integration harness.
 *
 * A filter starts with T_SECCOMP_OWN_ARCH (system calls of another
 * architecture pass) and then looks at seccomp_data.nr and .args.
 */
#ifndef COFFER_T_SECCOMP_H
#define COFFER_T_SECCOMP_H

#include <stddef.h>
#include <sys/prctl.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define T_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define T_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define T_AUDIT_ARCH 0
#endif

#define T_SECCOMP_OWN_ARCH                                                         \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),       \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, T_AUDIT_ARCH, 1, 0),                       \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Installs the filter of n instructions for this process and what it
 * executes. -1 where seccomp filters cannot be had. */
static inline int
t_seccomp(struct sock_filter *f, unsigned short n)
{
    struct sock_fprog prog = { .len = n, .filter = f };

    if (T_AUDIT_ARCH == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
        return -1;
    return 0;
}

#endif
