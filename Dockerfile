# The platform image: the `lk` binary on Node 24, which runs the TypeScript sources as they are
# (type stripping), so there is no build step. docker-compose.yml runs it as the speed, batch and
# serve processes.
FROM node:24-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so editing sources does not reinstall them. No package needs an install
# script (DuckDB ships prebuilt binaries as optional dependencies), so none are run. Debian, not
# Alpine: those DuckDB binaries are built against glibc.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY . .

# Local working state (downloaded S3 objects, batch scratch files); everything durable lives in
# Kafka, S3 and PostgreSQL.
RUN mkdir -p /data && chown node:node /data
USER node
ENV LK_SERVICES=real \
    LK_DATA_DIR=/data \
    LK_HOST=0.0.0.0 \
    LK_PORT=8080
EXPOSE 8080

CMD ["node", "cli/main.ts", "serve"]
