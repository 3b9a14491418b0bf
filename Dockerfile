# syntax=docker/dockerfile:1
# One image for every Tessera service: the services share one dependency tree and one build, so one
# image (built once, scanned once, cached once per node) serves them all; the service is the
# command (`gateway`, `worker`, `migrate`, `keys`, or a subgraph name). README "Build and packaging"
# has the contract (entrypoint, commands, user, writable paths, ports) that compose and Kubernetes use.
#
# Three stages: `manifests` (package.json files only, so source edits do not invalidate the npm
# layers), `build` (every dependency, `npm run build:image`: tsc emits JavaScript into each workspace's
# dist/), and `runtime` (production dependencies and the compiled JavaScript, nothing else: no
# TypeScript sources, no tests, no tsx, no compiler). test/docker-compose.test.ts checks these rules.

FROM node:20-bookworm-slim AS manifests
WORKDIR /app
# npm ci needs every workspace's package.json (test/docker-compose.test.ts checks this list against
# the workspaces). .npmrc skips onnxruntime-node's CUDA download (the CPU binaries ship in the package).
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

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY --from=manifests /app/ ./
RUN npm ci --no-audit --no-fund
COPY . .
# The compiled tree of each shipped workspace (dist/src: JavaScript and the schema files beside it),
# gathered in /out for the runtime stage. Declarations are for the compiler only. The development
# harness (testing, local-infra, dev-issuer) is not shipped. The web console ships as its static
# build only (console/dist: served by any static server, README "Web console"), not as a workspace.
RUN npm run build:image \
 && for dir in packages/* subgraphs/* gateway key-service workers platform; do \
      case "$dir" in packages/local-infra|packages/dev-issuer) continue ;; esac; \
      mkdir -p "/out/$dir/dist" && cp -R "$dir/dist/src" "/out/$dir/dist/src"; \
    done \
 && find /out -name '*.d.ts' -delete \
 && (cd console && node ../node_modules/vite/bin/vite.js build) \
 && mkdir -p /out/console && cp -R console/dist /out/console/dist

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=manifests /app/ ./
# Production dependencies only: no tsx, no TypeScript, no jest. `--omit=optional` as well: typeorm
# names ts-node (and through it typescript and @swc/core) as optional peers, which npm otherwise
# keeps; the only other optional package is msgpackr's native speed-up, which falls back to
# JavaScript. The development harness's manifests and the console's go first, so npm installs none of their packages (React, Vite too)
# (the local S3 server, the OpenID provider): npm ci installs what the lockfile holds for the
# workspaces present (checked with npm 10 and 11). Root-owned and read-only to the service user,
# like the code below.
RUN rm -r testing packages/local-infra packages/dev-issuer console \
 && npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /out/ ./
# Services bind every interface inside the container (loopback by default elsewhere).
ENV LISTEN_HOST=0.0.0.0
# The key service's state directory, the datasets service's CSV upload spool (CSV_UPLOAD_SPOOL_DIR)
# and the models service's prediction log (INFERENCE_STATS_LOG_DIR): the `keys`, `datasets` and
# `models` containers mount their volumes here. Owned by the service user, so each volume is created
# writable for it and for no one else. /tmp is the only other path a service writes: a tmpfs in compose.
RUN mkdir -p /var/lib/tessera/keys /var/spool/tessera-csv /var/lib/tessera/prediction-log \
 && chown 1000:1000 /var/lib/tessera/keys /var/spool/tessera-csv /var/lib/tessera/prediction-log \
 && chmod 0700 /var/lib/tessera/keys /var/spool/tessera-csv /var/lib/tessera/prediction-log
# The image's `node` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
EXPOSE 4000
# Plain node on the compiled entry. `tessera-compiled` makes every workspace package resolve to its
# dist/ JavaScript (package.json "exports"); the inference pools pass the flag on to their children.
# No npm or npx in front: node itself receives SIGTERM (init: true in compose reaps the children).
ENTRYPOINT ["node", "--conditions=tessera-compiled", "platform/dist/src/main.js"]
CMD ["gateway"]
