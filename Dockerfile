# syntax=docker/dockerfile:1
# The sse2ws Node sidecar.
#   docker build -t sse2ws .
#   docker run --rm --read-only -p 8080:8080 -e SSE2WS_UPSTREAM_URL=http://legacy:5000/chat sse2ws
# With no SSE2WS_UPSTREAM_URL the embedded demo backend answers, as with `npm start`.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first: this layer is reused until package.json or the lock file change. No scripts
# yet: `prepare` (the build) needs the sources, copied next.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# Listening on every interface: the playground page at / is served only with the demo backend (no
# upstream) or SSE2WS_PLAYGROUND=true, and the log warns until SSE2WS_ALLOWED_HOSTS is set.
ENV NODE_ENV=production \
    SSE2WS_HOST=0.0.0.0 \
    SSE2WS_PORT=8080
WORKDIR /app
# A production-only install (no tsx, esbuild, TypeScript): the built JavaScript runs as is and
# writes nothing, so the root filesystem can be read-only. --ignore-scripts: no `prepare` (dist/
# comes from the build stage) and no install scripts. npm's cache stays out of the image.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY --from=build /app/dist ./dist
# Files owned by root, run by the `node` user (uid 1000): the app cannot rewrite itself. Numeric,
# so Kubernetes' runAsNonRoot can verify it is not root.
USER 1000:1000
EXPOSE 8080
# The slim image has no curl: Node's own fetch. It reads SSE2WS_PORT, so keep the port in the env
# (not a --port flag) when you change it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SSE2WS_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself (graceful drain); it starts no child processes.
STOPSIGNAL SIGTERM
CMD ["node", "bin/sse2ws.js"]
