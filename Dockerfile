# syntax=docker/dockerfile:1
# One image for every Tessera service; docker-compose.yml picks the service by command
# (`npx tsx platform/src/main.ts <gateway|datasets|models|jobs|audit|metrics|tenants|worker>`).
FROM node:20-bookworm-slim

WORKDIR /app

# Manifests first, so source edits do not invalidate the `npm ci` layer. npm ci needs every
# workspace's package.json (test/docker-compose.test.ts checks this list against the workspaces).
# .npmrc skips onnxruntime-node's CUDA download (the CPU binaries ship in the package).
COPY package.json package-lock.json .npmrc ./
COPY packages/audit-client/package.json packages/audit-client/
COPY packages/auth/package.json packages/auth/
COPY packages/config/package.json packages/config/
COPY packages/crypto/package.json packages/crypto/
COPY packages/dev-issuer/package.json packages/dev-issuer/
COPY packages/errors/package.json packages/errors/
COPY packages/events/package.json packages/events/
COPY packages/inference/package.json packages/inference/
COPY packages/job-queue/package.json packages/job-queue/
COPY packages/local-infra/package.json packages/local-infra/
COPY packages/key-provider/package.json packages/key-provider/
COPY key-service/package.json key-service/
COPY packages/metering/package.json packages/metering/
COPY packages/monitoring/package.json packages/monitoring/
COPY packages/onnx/package.json packages/onnx/
COPY platform/package.json platform/
COPY packages/quotas/package.json packages/quotas/
COPY packages/redis-acl/package.json packages/redis-acl/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/storage/package.json packages/storage/
COPY packages/tabular/package.json packages/tabular/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/tenancy/package.json packages/tenancy/
COPY testing/package.json testing/
COPY packages/training/package.json packages/training/
COPY subgraphs/audit/package.json subgraphs/audit/
COPY subgraphs/datasets/package.json subgraphs/datasets/
COPY subgraphs/jobs/package.json subgraphs/jobs/
COPY subgraphs/metrics/package.json subgraphs/metrics/
COPY subgraphs/models/package.json subgraphs/models/
COPY subgraphs/tenants/package.json subgraphs/tenants/
COPY gateway/package.json gateway/
COPY workers/package.json workers/
COPY console/package.json console/
# Dev dependencies included: the services run from TypeScript source with tsx.
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY . .
# The web console's static files (console/dist), served by `tsx console/server/main.ts` or any static server.
RUN cd console && node ../node_modules/vite/bin/vite.js build

# Services bind every interface inside the container (loopback by default elsewhere). tsx is
# called directly rather than through npx, which does not pass SIGTERM on to the service.
ENV NODE_ENV=production \
    LISTEN_HOST=0.0.0.0 \
    PATH=/app/node_modules/.bin:$PATH
# The key service's state directory (the `keys` container mounts its volume here): owned by the
# user it runs as, so the volume is created writable for it and for no one else.
RUN mkdir -p /var/lib/tessera/keys && chown node:node /var/lib/tessera/keys && chmod 0700 /var/lib/tessera/keys
USER node
EXPOSE 4000
CMD ["tsx", "platform/src/main.ts", "gateway"]
