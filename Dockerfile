# crawlflow's processes (workers, bridge, web, one-off commands) for docker-compose.
FROM node:20-bookworm-slim

# python3 and bash run generator scripts; bubblewrap sandboxes them; chromium is not needed here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 bubblewrap util-linux ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin crawlflow-sandbox

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false && npm cache clean --force
COPY . .

ENV NODE_ENV=production LOG_FORMAT=json
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/crawlflow.js"]
CMD ["--help"]
