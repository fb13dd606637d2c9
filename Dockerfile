# syntax=docker/dockerfile:1
# The App's image (the Action runs from dist/ on GitHub's runners and is not in it).
#   docker build -t slack-deploy-gate .
# Three stages: `build` compiles app/ and common/ with the dev tools; `deps` installs the App's runtime
# dependencies alone (npm ci --omit=dev: the Action's packages are dev dependencies, bundled into
# dist/); `runtime` is Node 24 LTS with those two results, no compiler, running as `node`.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source where no prebuilt binary matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY common ./common
RUN npm run build:app

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=3000 \
  DATABASE_URL=sqlite:///data/slack-deploy-gate.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/build/app ./build/app
COPY --from=build /app/build/common ./build/common
# package.json: "type": "module" for build/; the manifests: what setup mode (no APP_ID) shows.
COPY package.json app.yml slack-app-manifest.yml ./
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# SIGTERM drains: no new clicks, work in flight finishes, exit within SHUTDOWN_TIMEOUT_MS (10 s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# V8's heap held as `npm start` holds it (package.json): a young generation of 2 MiB semi-spaces and
# at most 128 MiB of old generation keep the App near 140 MiB under a flood of clicks, where V8 would
# otherwise commit 300 MiB for garbage (bench/README.md, figure 5). Raise --max-old-space-size for an
# App serving thousands of installations.
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=128", "build/app/main.js"]
