/*
 * stor_schema.c: the numbered schema steps. Step N brings PRAGMA
 * user_version from N-1 to N; a step is never edited once released, a new
 * one is added instead. stor_db_open() runs the missing ones in one
 * transaction each.
 */
#include "config.h"

#include "stor_int.h"
#include "coffer/banned.h"

const char *const stor_schema_steps[] = {
    /* 1: users, repositories, file ids, dead properties, locks */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  login TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  display_name TEXT NOT NULL DEFAULT '',"
    "  email TEXT NOT NULL DEFAULT '',"
    "  role TEXT NOT NULL DEFAULT 'external',"
    "  pw_hash TEXT,"
    "  status TEXT NOT NULL DEFAULT 'active',"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE repos ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  owner INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  quota INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL);"
    /* a file id: the row for (repo, dir, name); MOVE updates it in place */
    "CREATE TABLE nodes ("
    "  id INTEGER PRIMARY KEY,"
    "  repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,"
    "  dir TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  UNIQUE (repo, dir, name));"
    "CREATE TABLE props ("
    "  node INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,"
    "  ns TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  lang TEXT,"
    "  xml INTEGER NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (node, ns, name)) WITHOUT ROWID;"
    "CREATE TABLE locks ("
    "  token TEXT PRIMARY KEY,"
    "  repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,"
    "  path TEXT NOT NULL,"
    "  infinite INTEGER NOT NULL,"
    "  exclusive INTEGER NOT NULL,"
    "  owner TEXT,"
    "  principal INTEGER NOT NULL,"
    "  timeout INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX locks_by_repo ON locks (repo, path);",
};

const int stor_schema_nsteps = sizeof(stor_schema_steps) / sizeof(stor_schema_steps[0]);
