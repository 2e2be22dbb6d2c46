# The reference stack as container images, so that it can be deployed onto a kind cluster as Pods in place of
# Antrea: target `agent` (images/agent, with the CNI plugin images/cni/bin/antrea for an install-cni init
# container, and the OVS, iproute2 and iptables tools the agent drives) and target `controller`
# (images/controller). TypeScript runs as it does in the repository, through tsx: no build step.
# The build context is the repository root:
#
#   docker build -f images/node/stack.Dockerfile --target agent -t ovslab/agent:dev .
#   docker build -f images/node/stack.Dockerfile --target controller -t ovslab/controller:dev .
#   OVSLAB_KIND_IMAGES="ovslab/agent:dev ovslab/controller:dev" ovslab up -t lab/topologies/kind.yaml
FROM node:20.19.2-bookworm-slim AS deps
WORKDIR /opt/ovslab
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:20.19.2-bookworm-slim AS agent
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openvswitch-switch iproute2 iptables ethtool kmod containernetworking-plugins \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ovslab
COPY --from=deps /opt/ovslab/node_modules ./node_modules
COPY package.json ./
COPY images ./images
ENTRYPOINT ["node", "--import", "tsx", "images/agent/main.ts"]

FROM node:20.19.2-bookworm-slim AS controller
WORKDIR /opt/ovslab
COPY --from=deps /opt/ovslab/node_modules ./node_modules
COPY package.json ./
COPY images ./images
ENTRYPOINT ["node", "--import", "tsx", "images/controller/main.ts"]
