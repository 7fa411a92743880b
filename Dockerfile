# syntax=docker/dockerfile:1
# Trailbook workbench image. Build: docker build -t trailbook .
# Run:   docker run -p 8888:8888 -e TRAILBOOK_TOKEN=... trailbook

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Full install (dev dependencies included) to build the browser bundle when the project has a build step.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --if-present && rm -rf node_modules

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: sources (root-owned, read-only to the app) and a non-root user.
FROM ${NODE_IMAGE} AS runtime
# git keeps the notebooks in a repository (TRAILBOOK_GIT_REMOTE); ssh for deploy keys; CA roots for https remotes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# TRAILBOOK_SEED_DIR: a fresh notebook volume starts with the repository's saved notebooks (never overwriting).
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    TRAILBOOK_NOTEBOOK_DIR=/data/notebooks \
    TRAILBOOK_STATE_DIR=/data/state \
    TRAILBOOK_SEED_DIR=/app/notebooks
WORKDIR /app
COPY --from=build /app ./
COPY --from=prod-deps /app/node_modules ./node_modules
# The only writable places: the notebook and state volumes, the data and cache dirs (uid 1000 = the image's `node`
# user, the uid the EFS access points use). The state dir holds the share-link secret: owner only.
RUN mkdir -p /data/notebooks /data/state /app/.data /app/.cache \
    && chown -R node:node /data/notebooks /data/state /app/.data /app/.cache \
    && chmod 700 /data/state
USER node
VOLUME ["/data/notebooks", "/data/state"]
EXPOSE 8888
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8888/healthcheck').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "cli/trailbook.js", "serve", "--host", "0.0.0.0", "--port", "8888"]
