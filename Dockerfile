# syntax=docker/dockerfile:1
# The relay as a container service. The first stage compiles the relay; the
# second holds only the compiled relay and its production dependencies and
# runs as an unprivileged user. The SSH key and known_hosts are mounted as
# secret files (/run/secrets/...), never built in or passed in the environment.

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
# No install scripts: ssh2's optional native speed-up is not needed, and the
# dev dependency that provides Node for `npm test` is not needed here.
RUN npm ci --ignore-scripts
COPY protocol/ protocol/
COPY relay/ relay/
RUN npx tsc -p tsconfig.json

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# The image lays the build out as build/ does, so relay/ finds ../protocol/.
COPY --from=build /src/build/protocol/ protocol/
COPY --from=build /src/build/relay/ relay/

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin relay
USER 10001

ENV SSH_KEY_FILE=/run/secrets/id_rsa \
    SSH_KNOWN_HOSTS=/run/secrets/known_hosts \
    RELAY_HTTP_PORT=8080
EXPOSE 8080

# Liveness only: an unreachable queue or cluster makes the relay unready, and
# restarting it would not bring either back.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.RELAY_HTTP_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "--enable-source-maps", "relay/cli.js"]
CMD ["run"]
