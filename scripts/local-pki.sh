#!/usr/bin/env bash
# The local certificate authority of a developer machine or a CI run: one CA, one leaf per
# service identity (server and client), one server leaf per store (MariaDB, Redis, S3), for the OpenID provider and the key service.
#
#   bash scripts/local-pki.sh            # into $TESSERA_PKI_DIR, default <repo>/.tessera/pki
#   bash scripts/local-pki.sh DIR workers.eu-west-1 workers-dedicated-globex.us-east-1
#                                        # and client leaves of workers: <identity>.<region> is a
#                                        # leaf with CN and DNS SAN <identity> (`workers`, the shared
#                                        # pool, or `workers-dedicated-<tenant>`, a dedicated tenant's
#                                        # ring) and the URI SAN urn:tessera:region:<region> (the
#                                        # region whose jobs it runs, checked by the port owners);
#                                        # client auth only
#
# Plain shell and the openssl CLI on purpose: scripts/local-services.sh runs before `npm ci` in
# CI, and the stores need their certificates then; `npm start` and the test harness call this same
# script (testing/ and scripts/start/ go through packages/local-infra/src/local-pki.ts), so there
# is one CA and one way to make it.
#
# Idempotent: an existing file is never replaced, a missing one is created. Safe when several
# processes start at once (parallel jest workers): everything happens under an exclusive flock,
# and each file is written beside its final name and renamed into place, so a reader never sees
# half a key.
#
# ECDSA P-256 keys: fast to make and to handshake with, accepted by MariaDB, Redis, MinIO and Node.
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-${TESSERA_PKI_DIR:-$repo_root/.tessera/pki}}"
shift || true
# Client-only identities asked for on the command line: workers of one region, <identity>.<region>.
clients=()
for name in "$@"; do
  [[ "$name" =~ ^workers(-dedicated-[a-z][a-z0-9-]{2,31})?\.[a-z0-9]+(-[a-z0-9]+){0,5}$ ]] || { echo "not a worker identity of a region (workers.<region> or workers-dedicated-<tenant>.<region>): $name" >&2; exit 2; }
  clients+=("$name")
done
ca_days=3650
leaf_days=825

# Service identities: the name is the CN and a DNS SAN (also the compose host name).
services=(gateway datasets models jobs audit metrics tenants workers)
# Store certificates: name, then extra DNS names (the compose host names of the stores). `oidc` is
# the OpenID provider's (the dev issuer locally, Keycloak in compose); `keys` the key service's;
# `jaeger` the trace collector's (compose: OTLP over TLS).
stores=("mariadb mysql" "redis" "s3 minio" "oidc keycloak" "keys" "jaeger")

mkdir -p "$dir"
chmod 700 "$dir"
exec 9>"$dir/.lock"
flock 9

# Writes a file through a temporary name in the same directory, then renames it (atomic).
publish() { # tmp final
  mv -f "$1" "$2"
}

work="$(mktemp -d "$dir/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca-key.pem" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$work/ca-key.pem" -sha256 -days "$ca_days" \
    -subj "/O=Tessera local/CN=Tessera local CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$work/ca.pem"
  chmod 600 "$work/ca-key.pem"
  # Leaves of an older CA would no longer verify: a new CA starts a new set.
  rm -f "$dir"/*.pem
  publish "$work/ca-key.pem" "$dir/ca-key.pem"
  publish "$work/ca.pem" "$dir/ca.pem"
fi

issue() { # name usage [cn] dns-names... (the CN is the name unless given as cn=<identity>; a uri=<uri> argument adds a URI SAN)
  local name="$1" usage="$2" cn="$1"
  shift 2
  [ -s "$dir/$name.pem" ] && [ -s "$dir/$name-key.pem" ] && return 0
  local sans="DNS:localhost,IP:127.0.0.1,IP:::1"
  for dns in "$@"; do
    case "$dns" in
      cn=*) cn="${dns#cn=}" ;;
      uri=*) sans="URI:${dns#uri=},$sans" ;;
      *) sans="DNS:$dns,$sans" ;;
    esac
  done
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/$name-key.pem" 2>/dev/null
  # PKCS#8: what every consumer (Node, MariaDB, Redis, MinIO) reads.
  openssl pkcs8 -topk8 -nocrypt -in "$work/$name-key.pem" -out "$work/$name-key.p8.pem"
  openssl req -new -key "$work/$name-key.p8.pem" -subj "/O=Tessera local/CN=$cn" -out "$work/$name.csr"
  cat >"$work/$name.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$usage
subjectAltName=$sans
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EOF
  openssl x509 -req -in "$work/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -CAserial "$work/ca.srl" \
    -days "$leaf_days" -sha256 -extfile "$work/$name.ext" -out "$work/$name.pem" 2>/dev/null
  chmod 600 "$work/$name-key.p8.pem"
  publish "$work/$name-key.p8.pem" "$dir/$name-key.pem"
  publish "$work/$name.pem" "$dir/$name.pem"
}

for name in "${services[@]}"; do
  issue "$name" "serverAuth,clientAuth" "$name"
done
for entry in "${stores[@]}"; do
  # shellcheck disable=SC2086
  set -- $entry
  issue "$1" "serverAuth" "$@"
done
for name in "${clients[@]}"; do
  identity="${name%.*}"
  issue "$name" "clientAuth" "cn=$identity" "$identity" "uri=urn:tessera:region:${name##*.}"
done
