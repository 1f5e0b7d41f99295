# syntax=docker/dockerfile:1
# Production image of msa-gateway (the three sample services run from it too).
#   docker build -t msa-gateway .
#   docker run -p 8000:8000 -e GATEWAY_ADMIN_TOKEN=change-me-please msa-gateway
# Lines marked "check: image-only" touch only the image's system (packages, ownership);
# `npm run check:clean-copy` runs every other instruction in a clean copy of the repository.

# --- build: compile TypeScript and the native SQLite module, then drop the dev dependencies ---
FROM node:22-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary for this Node.js can be fetched.
# check: image-only
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Pruning here keeps the compiled better-sqlite3 and leaves no compiler in the final image.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: only what running needs, as the unprivileged `node` user ---
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    REGISTRY_PATH=/app/data/registry.db
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The SQLite store writes here; mount a volume on /app/data to keep registrations.
# check: image-only
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["node", "dist/scripts/healthcheck.js"]
CMD ["node", "dist/src/main.js"]
