# syntax=docker/dockerfile:1
# The sse2ws Node sidecar.
#   docker build -t sse2ws .
#   docker run --rm -p 8080:8080 -e SSE2WS_UPSTREAM_URL=http://legacy:5000/chat sse2ws
# With no SSE2WS_UPSTREAM_URL the embedded demo backend answers, as with `npm start`.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first: this layer is reused until package.json or the lock file change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# build:client (the browser bundle) only exists in some versions; the runtime needs no dev tools.
RUN npm run build:client --if-present \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# Listening on every interface: the playground page at / is served only with the demo backend (no
# upstream) or SSE2WS_PLAYGROUND=true, and the log warns until SSE2WS_ALLOWED_HOSTS is set.
ENV NODE_ENV=production \
    SSE2WS_HOST=0.0.0.0 \
    SSE2WS_PORT=8080
WORKDIR /app
# Sources run through tsx, so the whole pruned tree is the app (.dockerignore keeps tests out);
# owned by root, run by the `node` user (uid 1000): the app cannot rewrite itself.
COPY --from=build /app /app
# Numeric, so Kubernetes' runAsNonRoot can verify it is not root.
USER 1000:1000
EXPOSE 8080
# The slim image has no curl: Node's own fetch. It reads SSE2WS_PORT, so keep the port in the env
# (not a --port flag) when you change it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SSE2WS_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself (graceful drain); it starts no child processes.
STOPSIGNAL SIGTERM
CMD ["node", "bin/sse2ws.js"]
