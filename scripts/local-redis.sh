#!/usr/bin/env bash
# Makes sure the local Redis runs with Tessera's ACL: the default user off, the operator's admin
# user, and one user per service (deploy/redis/users.acl.template, generated from packages/redis-acl).
# A Redis that is not running is started with the ACL file; one that already runs (started before
# the ACL existed, or by an earlier run) gets the same users with ACL SETUSER. Idempotent.
#
# Passwords: REDIS_<SERVICE>_PASSWORD and REDIS_ADMIN_PASSWORD when set; otherwise the dev-only
# default "<user>-local-dev" (e.g. tessera-gateway-local-dev), which `npm start` and the test
# harness derive the same way. Never use the defaults on a machine others can reach.
# Called by scripts/local-services.sh; TESSERA_REDIS_PORT picks another port (tests of this script).
set -euo pipefail

REDIS_PORT="${TESSERA_REDIS_PORT:-6379}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TEMPLATE="$ROOT/deploy/redis/users.acl.template"
# The rendered file holds password hashes, not passwords; still, only root reads it.
ACL_FILE="${TESSERA_REDIS_ACL_FILE:-/tmp/tessera-redis-${REDIS_PORT}-users.acl}"
ADMIN_USER=tessera-admin

say() { echo "[local-redis] $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Replaces each "#{{sha256:VAR}}" by "#<sha256 of the password>": the value of VAR, or the user's dev default.
render_acl() {
  local line user variable password hash
  while IFS= read -r line; do
    if [[ "$line" =~ ^user\ ([^ ]+)\ .*\#\{\{sha256:([A-Z_]+)\}\} ]]; then
      user="${BASH_REMATCH[1]}"
      variable="${BASH_REMATCH[2]}"
      password="${!variable:-${user}-local-dev}"
      hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
      line="${line/\{\{sha256:${variable}\}\}/${hash}}"
    fi
    # redis-server refuses comments in an ACL file.
    [[ "$line" == \#* ]] || printf '%s\n' "$line"
  done <"$TEMPLATE"
}

umask 077
render_acl >"$ACL_FILE"

admin_password="${REDIS_ADMIN_PASSWORD:-${ADMIN_USER}-local-dev}"
cli_admin() { REDISCLI_AUTH="$admin_password" redis-cli -p "$REDIS_PORT" --user "$ADMIN_USER" --no-auth-warning "$@"; }
# Logged in as the admin? (redis-cli carries on as the default user when AUTH fails, so PING would not tell.)
is_admin() { [ "$(cli_admin ACL WHOAMI 2>/dev/null)" = "$ADMIN_USER" ]; }

if ! port_open "$REDIS_PORT"; then
  if ! command -v redis-server >/dev/null; then
    say "Redis is not installed. Install it with: apt-get install -y redis-server (or set REDIS_URL)."
    exit 3
  fi
  say "starting Redis on 127.0.0.1:$REDIS_PORT with the ACL ($ACL_FILE)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly yes \
    --dir "${TESSERA_REDIS_DIR:-/tmp}" --aclfile "$ACL_FILE" >/dev/null
  for _ in $(seq 1 60); do port_open "$REDIS_PORT" && break; sleep 0.5; done
  port_open "$REDIS_PORT" || { say "Redis did not answer on 127.0.0.1:$REDIS_PORT"; exit 4; }
  is_admin || { say "Redis started but the admin user cannot log in"; exit 4; }
  exit 0
fi

# A running Redis: log in as the admin (ACL applied before) or as the password-less default user
# (a Redis from before the ACL), then define every user of the file. The admin comes first and the
# default user last, so the session never locks itself out half-way.
if is_admin; then
  cli() { cli_admin "$@"; }
elif [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; then
  cli() { redis-cli -p "$REDIS_PORT" "$@"; }
else
  say "Redis on 127.0.0.1:$REDIS_PORT refuses both the admin user ($ADMIN_USER, REDIS_ADMIN_PASSWORD) and the default user; set REDIS_ADMIN_PASSWORD"
  exit 5
fi

apply_line() {
  local -a rule
  read -r -a rule <<<"$1" # no glob expansion of the patterns: read -a splits only
  [ "${rule[0]}" = user ] || return 0
  local reply
  reply=$(cli ACL SETUSER "${rule[1]}" reset "${rule[@]:2}")
  [ "$reply" = OK ] || { say "ACL SETUSER ${rule[1]} failed: $reply"; exit 6; }
}

apply_line "$(grep "^user $ADMIN_USER " "$ACL_FILE")"
cli() { cli_admin "$@"; }
while IFS= read -r line; do
  case "$line" in "user $ADMIN_USER "* | "user default "*) continue ;; esac
  apply_line "$line"
done <"$ACL_FILE"
apply_line "$(grep '^user default ' "$ACL_FILE")"
say "Redis on 127.0.0.1:$REDIS_PORT: ACL applied (default user off, $(grep -c '^user ' "$ACL_FILE") users)"
