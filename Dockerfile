# One image for every Runnel role (scheduler, worker, api); docker-compose.yml picks the command.
FROM node:20-bookworm

ENV COREPACK_HOME=/opt/corepack \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    CI=true

WORKDIR /app

# Manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm 10 at exactly the version package.json's packageManager pins, cached where the runtime user can read it.
RUN corepack enable && corepack install && chmod -R a+rX /opt/corepack && pnpm --version
COPY server/package.json server/package.json
COPY web/package.json web/package.json
COPY dags/package.json dags/package.json
COPY e2e/package.json e2e/package.json
RUN pnpm install --frozen-lockfile

COPY . .
# The API server serves the dashboard from web/dist; the CLI and server run from server/dist
# (the install above ran before the sources were copied, so it could not build it).
RUN pnpm --filter runnel-web build && pnpm build

USER node
ENV NODE_ENV=production
CMD ["pnpm", "runnel", "--help"]
