#!/usr/bin/env sh
# MinIO for OBJECT_STORE_CREDENTIALS=sts, with the MinIO client `mc` (e.g. as a one-shot
# `minio/mc` container after `minio` is healthy). Run as the MinIO root user; the services then get
# S3_ACCESS_KEY/S3_SECRET_KEY = the tessera-service user below, never the root keys.
#
# MinIO has no IAM roles: AssumeRole (on the MinIO endpoint itself; OBJECT_STORE_ROLE_ARN unset)
# returns a session whose rights are the calling user's policy intersected with the session
# policy Tessera sends (one tenant bucket). The service user's policy is therefore the ceiling of
# every tenant session, and that user's own key can reach every tenant bucket: keep it in the
# processes that mint sessions, and see the README for what that means compared with AWS and RGW.
set -eu
: "${MINIO_URL:=https://minio:9000}"
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${TESSERA_S3_ACCESS_KEY:?}" "${TESSERA_S3_SECRET_KEY:?}"
here="$(dirname "$0")"
# A private CA (MINIO_CA_FILE): mc trusts the CAs in <config dir>/certs/CAs, and nothing is skipped.
if [ -n "${MINIO_CA_FILE:-}" ]; then
  mkdir -p "$HOME/.mc/certs/CAs"
  cp "$MINIO_CA_FILE" "$HOME/.mc/certs/CAs/tessera-ca.pem"
fi
mc alias set tessera "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc admin policy create tessera tessera-tenant-buckets "$here/tenant-role-policy.json"
mc admin user add tessera "$TESSERA_S3_ACCESS_KEY" "$TESSERA_S3_SECRET_KEY"
mc admin policy attach tessera tessera-tenant-buckets --user "$TESSERA_S3_ACCESS_KEY"
