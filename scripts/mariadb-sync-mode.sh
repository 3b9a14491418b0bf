#!/usr/bin/env bash
# Sourced by the scripts that start a local MariaDB: sets MARIADB_LAUNCH, the prefix of the command
# that starts mariadbd.
#
# TESSERA_MARIADB_NOSYNC=1 starts it under eatmydata's preload, which turns fsync/fdatasync/sync
# into no-ops. The test suite creates and drops a control plane, a tenant template and a schema
# per test tenant in every test file (hundreds of CREATE/DROP TABLE, each several synced writes),
# and on a shared VM disk those syncs, not the SQL, were most of a stack's set-up and tear-down.
# Every statement still runs on the real server; only durability across a crash of the machine
# is given up, which a throw-away CI database does not need. `.ci/run` sets it; a developer's
# server keeps its data safe unless asked (the variable only matters when a server is started).
MARIADB_LAUNCH=()
if [ "${TESSERA_MARIADB_NOSYNC:-0}" = 1 ]; then
  eatmydata_lib=$(ls /usr/lib/*/libeatmydata.so.1 /usr/lib/libeatmydata.so.1 2>/dev/null | head -n 1 || true)
  if [ -z "$eatmydata_lib" ]; then
    echo "[mariadb] TESSERA_MARIADB_NOSYNC=1 needs eatmydata: apt-get install -y eatmydata" >&2
    exit 3
  fi
  MARIADB_LAUNCH=(env "LD_PRELOAD=$eatmydata_lib")
  echo "[mariadb] starting without fsync (TESSERA_MARIADB_NOSYNC=1: $eatmydata_lib), for a throw-away test database" >&2
fi
