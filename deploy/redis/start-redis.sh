#!/bin/sh
# The redis container's command (docker-compose.yml): renders the ACL file from
# users.acl.template with the SHA-256 of each password in the environment (REDIS_<SERVICE>_PASSWORD,
# REDIS_ADMIN_PASSWORD), then runs Redis with it. The rendered file holds hashes only and lives in
# the container's /tmp; the passwords themselves reach Redis only as this process's environment.
# Arguments are passed on to redis-server (docker-compose.yml gives the TLS settings there).
set -eu
template=/etc/tessera/users.acl.template
out=/tmp/users.acl
umask 077
: >"$out"
while IFS= read -r line; do
  case "$line" in '#'*) continue ;; esac # redis-server refuses comments in an ACL file
  variable=$(printf '%s\n' "$line" | sed -n 's/.*{{sha256:\([A-Z_]*\)}}.*/\1/p')
  if [ -n "$variable" ]; then
    eval "password=\${$variable:-}"
    if [ -z "$password" ]; then
      echo "start-redis: $variable is not set (run npx tsx deploy/generate-env.ts > .env)" >&2
      exit 1
    fi
    hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
    line=$(printf '%s\n' "$line" | sed "s/{{sha256:$variable}}/$hash/")
  fi
  printf '%s\n' "$line" >>"$out"
done <"$template"
# The image's entrypoint drops root only for a command named redis-server; do the same here.
if [ "$(id -u)" = 0 ] && command -v su-exec >/dev/null; then
  chown redis "$out"
  find /data \! -user redis -exec chown redis '{}' +
  exec su-exec redis redis-server --appendonly yes --aclfile "$out" "$@"
fi
exec redis-server --appendonly yes --aclfile "$out" "$@"
