// An external host of a kind lab: a container on the "kind" docker network (beside the nodes) running agnhost
// netexec, as Antrea's CI runs its external agnhost. Labelled with the lab name so that `down` finds it even
// when the lab's state is gone.
import type { DockerCli } from "./docker-cli.ts";

export const AGNHOST_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.40";
export const KIND_NETWORK = "kind";
export const LAB_LABEL = "dev.ovslab.lab";
const HOST_LABEL = "dev.ovslab.host";

/** `<lab>-ext-<host>` cannot collide with kind's `<lab>-control-plane` / `<lab>-worker<N>`. */
export function externalContainerName(lab: string, host: string): string {
  return `${lab}-ext-${host}`;
}

export async function startExternalHost(docker: DockerCli, lab: string, host: string): Promise<void> {
  await docker.runDetached({
    name: externalContainerName(lab, host),
    hostname: host,
    image: AGNHOST_IMAGE,
    network: KIND_NETWORK,
    labels: { [LAB_LABEL]: lab, [HOST_LABEL]: host },
    // agnhost's defaults, spelled out for scenario authors: HTTP on 8080, UDP on 8081.
    args: ["netexec", "--http-port=8080", "--udp-port=8081"],
  });
}
