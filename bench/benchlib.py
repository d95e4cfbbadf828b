#!/usr/bin/env python3
"""bench/benchlib.py: set-up steps of bench/compare.sh (make bench) that speak JSON
or need many small requests: Coffer's users, groups, nesting and grants
through the REST API, the trees of the mixed workload, the group trees of
the permission-check curve, and the RSS of a process tree.

Only 127.0.0.1 is ever contacted. Standard library only.

  benchlib.py token PORT ADMIN_PASSWORD
      a personal access token for admin (Bearer: REST calls with Basic
      re-run argon2 after every group change, see bench/README.md)
  benchlib.py coffer-setup PORT TOKEN
      repository `bench`; reader in r-a, r-a nested in r-b, r-b granted
      read on `bench`; writer in w-a, w-a nested in w-b, w-b granted write
  benchlib.py mixed-setup KIND PORT ADMIN_AUTH TOKEN USERS NFILES SPECFILE
      KIND coffer or anchor: the folders and files of the mixed workload,
      for Coffer also its users, groups and grants; writes davload's spec
  benchlib.py warm PORT SPECFILE
      a few fresh connections per user of SPECFILE, so that each worker
      thread has verified each password before the measurement
  benchlib.py acl-grow PORT TOKEN FROM TO
      grows the group tree of the permission-check curve to TO groups
  benchlib.py rss PID
      the resident set of PID and all its descendants, in KiB
"""
import base64
import http.client
import json
import os
import sys
import threading

PW_SUFFIX = "-Bench-pw-5"


def password(login):
    return login + PW_SUFFIX


def basic(login, pw):
    return base64.b64encode(("%s:%s" % (login, pw)).encode()).decode()


class Client:
    """A keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port, auth=None, bearer=None):
        self.port = int(port)
        self.conn = None
        self.headers = {}
        if auth:
            self.headers["Authorization"] = "Basic " + auth
        if bearer:
            self.headers["Authorization"] = "Bearer " + bearer

    def req(self, method, path, body=None, headers=None, ok=(200, 201, 204, 207)):
        h = dict(self.headers)
        if headers:
            h.update(headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        if ok is not None and r.status not in ok:
            raise SystemExit("benchlib: %s %s: HTTP %d %s" % (method, path, r.status,
                                                            data[:300].decode("utf-8", "replace")))
        return r.status, data

    def json(self, method, path, body=None, ok=(200, 201, 204)):
        st, data = self.req(method, path, body, ok=ok)
        return st, (json.loads(data) if data else None)


# ---- Coffer's REST API ----

def api_user(c, login, role="external"):
    c.json("POST", "/api/v1/users", {"login": login, "email": login + "@bench.example.com",
                                     "role": role, "password": password(login)})


def api_group(c, name):
    c.json("POST", "/api/v1/groups", {"name": name})


def api_member(c, group, kind, principal, role="reader"):
    c.json("PUT", "/api/v1/groups/%s/members/%s/%s" % (group, kind, principal), {"role": role})


def api_repo(c, name):
    c.json("POST", "/api/v1/repositories", {"name": name})


def api_grant(c, repo, group, role, path=None):
    body = {"group": group, "role": role}
    if path:
        body["path"] = path
    c.json("POST", "/api/v1/repositories/%s/grants" % repo, body)


def cmd_token(port, admin_pw):
    c = Client(port, auth=basic("admin", admin_pw))
    _, t = c.json("POST", "/api/v1/me/tokens", {"name": "make bench"})
    print(t["token"])


def cmd_coffer_setup(port, token):
    c = Client(port, bearer=token)
    api_repo(c, "bench")
    for who, right in (("reader", "read"), ("writer", "write")):
        a, b = who[0] + "-a", who[0] + "-b"
        api_user(c, who)
        api_group(c, a)
        api_group(c, b)
        api_member(c, a, "user", who)          # the user in A
        api_member(c, b, "group", a)           # A nested in B
        api_grant(c, "bench", b, right)        # B granted on the repository
    # what the engine says, for the log
    _, why = c.json("GET", "/api/v1/repositories/bench/access?user=reader")
    print(why.get("summary", ""))


MIXED_TEAMS = 20


def cmd_mixed_setup(kind, port, admin_auth, token, users, nfiles, spec):
    """Half the users write (their own folder under w/, and read common/),
    half only read common/. Coffer: users in 20 teams; teams 0-9 nested in
    dept-w1/dept-w2, nested in div-write (write on w/, read on common/);
    teams 10-19 nested in dept-r1/dept-r2, nested in div-read (read on the
    whole repository)."""
    users, nfiles = int(users), int(nfiles)
    base = "/dav/mixed" if kind == "coffer" else "/mixed"
    dav = Client(port, auth=None if admin_auth == "-" else admin_auth)
    if kind == "coffer":
        api = Client(port, bearer=token)
        api_repo(api, "mixed")
    else:
        dav.req("MKCOL", base + "/", ok=(201,))
    dav.req("MKCOL", base + "/common/", ok=(201,))
    dav.req("MKCOL", base + "/w/", ok=(201,))
    body = ("common file of the mixed workload\n" * 130)[:4096]
    for f in range(nfiles):
        dav.req("PUT", "%s/common/f%03d.txt" % (base, f), body, {"Content-Type": "text/plain"},
                ok=(201, 204))
    logins = ["mx%03d" % i for i in range(users)]
    writers = set(logins[: users // 2])
    for login in sorted(writers):
        dav.req("MKCOL", "%s/w/%s/" % (base, login), ok=(201,))
    if kind == "coffer":
        teams = ["team-%02d" % t for t in range(MIXED_TEAMS)]
        half = MIXED_TEAMS // 2
        for g in ["div-write", "div-read", "dept-w1", "dept-w2", "dept-r1", "dept-r2"] + teams:
            api_group(api, g)
        api_member(api, "div-write", "group", "dept-w1")
        api_member(api, "div-write", "group", "dept-w2")
        api_member(api, "div-read", "group", "dept-r1")
        api_member(api, "div-read", "group", "dept-r2")
        for t, team in enumerate(teams):
            side = "w" if t < half else "r"
            api_member(api, "dept-%s%d" % (side, 1 + t % 2), "group", team)
        api_grant(api, "mixed", "div-write", "write", "w")
        api_grant(api, "mixed", "div-write", "read", "common")
        api_grant(api, "mixed", "div-read", "read")
        for i, login in enumerate(logins):
            api_user(api, login)
            # writers fill teams 0-9, readers teams 10-19
            t = (i % half) if login in writers else half + (i % half)
            api_member(api, teams[t], "user", login)
    with open(spec, "w") as f:
        for login in logins:
            auth = basic(login, password(login)) if kind == "coffer" else "-"
            if login in writers:
                f.write("w %s %s/common %d %s/w/%s\n" % (auth, base, nfiles, base, login))
            else:
                f.write("r %s %s/common %d\n" % (auth, base, nfiles))


def cmd_warm(port, spec):
    lines = [l.split() for l in open(spec) if l.strip()]
    errors = []

    def work(part):
        for fields in part:
            auth, common = fields[1], fields[2]
            for _ in range(8):
                c = Client(port, auth=None if auth == "-" else auth)
                try:
                    c.req("GET", common + "/f000.txt", ok=(200,))
                except SystemExit as e:
                    errors.append(str(e))
                    return
                finally:
                    if c.conn:
                        c.conn.close()

    threads = [threading.Thread(target=work, args=(lines[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(errors[0])


def acl_name(i):
    return "acl%06d" % i


def cmd_acl_grow(port, token, frm, to):
    """Groups acl000000 ... in a tree of fan-out 10 (group i nested in group
    (i-1)//10); the user `deep` is a member of the newest group (the deepest
    leaf); the root and every 100th group are granted read on the
    repository `aclrepo` (so the number of grants a check meets grows with
    the tree too: N/100)."""
    frm, to = int(frm), int(to)
    c = Client(port, bearer=token)
    if frm == 0:
        api_repo(c, "aclrepo")
        api_user(c, "deep")
    for i in range(frm, to):
        api_group(c, acl_name(i))
        if i > 0:
            api_member(c, acl_name((i - 1) // 10), "group", acl_name(i))
        if i % 100 == 0:
            api_grant(c, "aclrepo", acl_name(i), "read")
    if frm > 0:
        c.req("DELETE", "/api/v1/groups/%s/members/user/deep" % acl_name(frm - 1), ok=(204,))
    api_member(c, acl_name(to - 1), "user", "deep")
    depth, i = 0, to - 1
    while i > 0:
        i = (i - 1) // 10
        depth += 1
    print("groups=%d depth=%d grants=%d" % (to, depth, (to + 99) // 100))


def cmd_rss(pid):
    """VmRSS of pid and its descendants (KiB)."""
    pid = int(pid)
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    print(total)


def main(argv):
    cmds = {
        "token": (cmd_token, 2),
        "coffer-setup": (cmd_coffer_setup, 2),
        "mixed-setup": (cmd_mixed_setup, 7),
        "warm": (cmd_warm, 2),
        "acl-grow": (cmd_acl_grow, 4),
        "rss": (cmd_rss, 1),
    }
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    cmds[argv[1]][0](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
