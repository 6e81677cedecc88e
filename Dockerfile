# syntax=docker/dockerfile:1
# The TOA server image: the same release a host install uses (npm run release),
# built from a checkout, run as an unprivileged user. docs/deployment.md#docker
#   docker build -t toa-server .
#   docker run -d -p 127.0.0.1:3100:3100 -v /etc/toa:/etc/toa:ro \
#     -v toa-data:/var/lib/toa -v toa-logs:/var/log/toa toa-server

FROM node:22-slim AS build
WORKDIR /src
# every workspace's manifest first, so the dependency layer is reused until the lock changes
COPY package.json package-lock.json ./
COPY packages/api/package.json packages/api/
COPY packages/fixtures/package.json packages/fixtures/
COPY apps/server/package.json apps/server/
COPY apps/addin/package.json apps/addin/
COPY deploy/package.json deploy/
# npm ci's postinstall applies them (patches/README.md)
COPY patches/ patches/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run release -- --out /release --no-tarball && mv /release/toa-server-* /release/toa

FROM node:22-slim
ENV NODE_ENV=production \
    TOA_CONFIG=/etc/toa/toa.json \
    TOA_HOST=0.0.0.0 \
    TOA_PORT=3100
COPY --from=build /release/toa /opt/toa
# node (uid 1000) is the image's unprivileged user; it owns only the data and log folders
RUN mkdir -p /etc/toa /var/lib/toa /var/log/toa && chown node:node /var/lib/toa /var/log/toa
USER node
WORKDIR /var/lib/toa
VOLUME ["/var/lib/toa", "/var/log/toa"]
EXPOSE 3100
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.TOA_PORT + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/opt/toa/bin/toa-server"]
CMD ["serve"]
