# syntax=docker/dockerfile:1
# Build stage: compiles TypeScript, the browser bundle and argon2's native addon.
FROM node:24-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
COPY public ./public
# npm ci runs the install scripts (argon2 builds from source) and `prepare` (the build).
RUN npm ci && npm prune --omit=dev

# Runtime stage: only what runs, as an unprivileged user.
FROM node:24-bookworm-slim
# The memory settings of src/ops/memory.ts (main.js re-executes itself with them when
# they are missing; given here, it need not): two malloc arenas, a fixed mmap threshold
# so Argon2's 19 MiB buffers go back to the system when a hash is done (on huge pages,
# so a fresh buffer is cheap), and V8's young generation at half its default.
ENV NODE_ENV=production PORT=3000 DATA_DIR=/data MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 \
  GLIBC_TUNABLES=glibc.malloc.hugetlb=1 NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public
COPY package.json ./
COPY bin ./bin
COPY views ./views
COPY config ./config
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
