#!/usr/bin/env sh
# AWS for OBJECT_STORE_CREDENTIALS=sts, with the AWS CLI, as an administrator of ACCOUNT_ID.
# Then: S3_ACCESS_KEY/S3_SECRET_KEY = the tessera-service access key,
# OBJECT_STORE_ROLE_ARN=arn:aws:iam::ACCOUNT_ID:role/tessera-tenant-access,
# OBJECT_STORE_STS_ENDPOINT=https://sts.<region>.amazonaws.com.
set -eu
: "${ACCOUNT_ID:?}"
here="$(dirname "$0")"
subst() { sed "s/ACCOUNT_ID/$ACCOUNT_ID/g" "$here/$1"; }
aws iam create-user --user-name tessera-service
aws iam put-user-policy --user-name tessera-service --policy-name tessera-service --policy-document "$(subst service-user-policy.aws.json)"
aws iam create-role --role-name tessera-tenant-access --max-session-duration 3600 --assume-role-policy-document "$(subst tenant-role-trust-policy.aws.json)"
aws iam put-role-policy --role-name tessera-tenant-access --policy-name tenant-buckets --policy-document "$(subst tenant-role-policy.json)"
aws iam create-access-key --user-name tessera-service
