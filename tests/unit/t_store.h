/*
 * t_store.h: what the unit tests over a real store share: removing their
 * temporary data directory, and making the files and folders a grant
 * names (a grant names something that is there).
 */
#ifndef COFFER_T_STORE_H
#define COFFER_T_STORE_H

struct stor_repo;

/* Removes dir and everything in it. */
void t_rm_tree(const char *dir);
/*
 * Makes path in r: the folders on the way, and a file at the end when its
 * name has a dot, else a folder. Fails the test on an error.
 */
void t_mk(struct stor_repo *r, const char *path);

#endif
