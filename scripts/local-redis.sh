#!/usr/bin/env bash
# Makes sure the local Redis runs with Tessera's ACL (the default user off, the operator's admin
# user, and one user per service: deploy/redis/users.acl.template, generated from packages/redis-acl)
# and speaks TLS only, with the server certificate of the local CA (scripts/local-pki.sh).
#
#   TLS on 127.0.0.1:6380 (TESSERA_REDIS_TLS_PORT); no plaintext listener (--port 0): every client,
#   this script's own redis-cli included, connects with TLS and checks the server against ca.pem.
#   Client certificates are not asked for (--tls-auth-clients no): a client proves who it is with its
#   ACL user's password, and Redis 7 cannot tie a certificate to an ACL user, so a certificate would
#   only say "issued by the local CA" and every service and dedicated worker would need one.
#
# Idempotent. A Redis already on the TLS port gets the same users with ACL SETUSER. A Redis of an
# earlier run on the plaintext port (TESSERA_REDIS_PORT, default 6379; started before TLS) is shut
# down (its append-only file kept, in the same directory) and started again with TLS; a fresh
# machine gets a new one.
#
# Passwords: REDIS_<SERVICE>_PASSWORD and REDIS_ADMIN_PASSWORD when set; otherwise the dev-only
# default "<user>-local-dev" (e.g. tessera-gateway-local-dev), which `npm start` and the test
# harness derive the same way. Never use the defaults on a machine others can reach.
# Called by scripts/local-services.sh; TESSERA_REDIS_TLS_PORT and TESSERA_REDIS_PORT pick other ports
# (tests of this script), TESSERA_PKI_DIR another CA.
set -euo pipefail

# The plaintext port only matters to find a Redis started before TLS; nothing listens there after.
PLAIN_PORT="${TESSERA_REDIS_PORT:-6379}"
REDIS_PORT="${TESSERA_REDIS_TLS_PORT:-6380}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TEMPLATE="$ROOT/deploy/redis/users.acl.template"
PKI_DIR="${TESSERA_PKI_DIR:-$ROOT/.tessera/pki}"
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

# The server certificate (SANs localhost, 127.0.0.1, redis) and the CA clients check it against.
bash "$ROOT/scripts/local-pki.sh" "$PKI_DIR"
CA_FILE="$PKI_DIR/ca.pem"

umask 077
render_acl >"$ACL_FILE"

admin_password="${REDIS_ADMIN_PASSWORD:-${ADMIN_USER}-local-dev}"
tls_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --tls --cacert "$CA_FILE" "$@"; }
cli_admin() { REDISCLI_AUTH="$admin_password" tls_cli --user "$ADMIN_USER" --no-auth-warning "$@"; }
# Logged in as the admin? (redis-cli carries on as the default user when AUTH fails, so PING would not tell.)
is_admin() { [ "$(cli_admin ACL WHOAMI 2>/dev/null)" = "$ADMIN_USER" ]; }

redis_dir="${TESSERA_REDIS_DIR:-/tmp}"

# A Redis of an earlier run without TLS: shut it down (SHUTDOWN writes its append-only file) and
# start it again below with TLS, in its own directory so its data comes back.
if ! port_open "$REDIS_PORT" && port_open "$PLAIN_PORT"; then
  plain_admin() { REDISCLI_AUTH="$admin_password" redis-cli -h 127.0.0.1 -p "$PLAIN_PORT" --user "$ADMIN_USER" --no-auth-warning "$@"; }
  if [ "$(plain_admin ACL WHOAMI 2>/dev/null)" = "$ADMIN_USER" ]; then
    plain() { plain_admin "$@"; }
  elif [ "$(redis-cli -h 127.0.0.1 -p "$PLAIN_PORT" ping 2>/dev/null)" = PONG ]; then
    plain() { redis-cli -h 127.0.0.1 -p "$PLAIN_PORT" "$@"; }
  else
    say "a Redis on 127.0.0.1:$PLAIN_PORT (no TLS) refuses the admin user ($ADMIN_USER, REDIS_ADMIN_PASSWORD) and the default user; stop it, or set REDIS_ADMIN_PASSWORD"
    exit 5
  fi
  redis_dir="$(plain CONFIG GET dir | sed -n 2p)"
  say "restarting the Redis on 127.0.0.1:$PLAIN_PORT (no TLS) with TLS on 127.0.0.1:$REDIS_PORT (data in $redis_dir)"
  # The Debian package's own service would be started again by systemd (Restart=always): stop the unit.
  if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
    systemctl stop redis-server
  else
    plain SHUTDOWN >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 60); do port_open "$PLAIN_PORT" || break; sleep 0.5; done
  port_open "$PLAIN_PORT" && { say "the Redis on 127.0.0.1:$PLAIN_PORT did not stop"; exit 4; }
fi

# A Redis started from another checkout (another .tessera/pki) serves a certificate no client of
# this one trusts: shut it down as the admin (not verifying it, to reach it at all) and start it
# again below with this checkout's certificate, in the same data directory.
if port_open "$REDIS_PORT" && ! openssl s_client -connect "127.0.0.1:$REDIS_PORT" -CAfile "$CA_FILE" -verify_return_error </dev/null >/dev/null 2>&1; then
  insecure_admin() { REDISCLI_AUTH="$admin_password" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --tls --insecure --user "$ADMIN_USER" --no-auth-warning "$@"; }
  if [ "$(insecure_admin ACL WHOAMI 2>/dev/null)" != "$ADMIN_USER" ]; then
    say "the Redis on 127.0.0.1:$REDIS_PORT serves a certificate of another CA and refuses the admin user ($ADMIN_USER, REDIS_ADMIN_PASSWORD); stop it, or set TESSERA_PKI_DIR to its CA's directory"
    exit 5
  fi
  redis_dir="$(insecure_admin CONFIG GET dir | sed -n 2p)"
  say "the Redis on 127.0.0.1:$REDIS_PORT serves a certificate of another CA; restarting it with $CA_FILE's (data in $redis_dir)"
  insecure_admin SHUTDOWN >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do port_open "$REDIS_PORT" || break; sleep 0.5; done
  port_open "$REDIS_PORT" && { say "the Redis on 127.0.0.1:$REDIS_PORT did not stop"; exit 4; }
fi

if ! port_open "$REDIS_PORT"; then
  if ! command -v redis-server >/dev/null; then
    say "Redis is not installed. Install it with: apt-get install -y redis-server (or set REDIS_URL)."
    exit 3
  fi
  say "starting Redis with TLS on 127.0.0.1:$REDIS_PORT (no plaintext port) with the ACL ($ACL_FILE)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 0 --tls-port "$REDIS_PORT" \
    --tls-cert-file "$PKI_DIR/redis.pem" --tls-key-file "$PKI_DIR/redis-key.pem" \
    --tls-ca-cert-file "$CA_FILE" --tls-auth-clients no \
    --save "" --appendonly yes --dir "$redis_dir" --aclfile "$ACL_FILE" >/dev/null
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
elif [ "$(tls_cli ping 2>/dev/null)" = PONG ]; then
  cli() { tls_cli "$@"; }
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
