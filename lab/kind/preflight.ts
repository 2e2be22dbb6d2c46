// Host prerequisites of the kind provider, all checked before anything is created so that a machine without
// Docker gets one message naming everything that is missing and how to install it, and nothing is left behind.
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { run } from "../../images/common/exec.ts";
import { DOCKER_INSTALL_HINT, DockerCli } from "./docker-cli.ts";
import { KIND_INSTALL_HINT } from "./kind-cli.ts";
import { KUBECTL_INSTALL_HINT } from "./kubectl-cli.ts";

const OVS_MODULE_HINT =
  "Antrea on kind uses the host's Open vSwitch kernel datapath: load it with 'sudo modprobe openvswitch' " +
  "(on Ubuntu it is in linux-modules-extra-$(uname -r))";

/** Finds a program on the PATH of `env`; module tools also in the sbin directories a non-root PATH may lack. */
function findProgram(
  name: string,
  env: NodeJS.ProcessEnv,
  extraDirs: readonly string[] = [],
): string | undefined {
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean).concat(extraDirs);
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

export async function preflightKind(env: NodeJS.ProcessEnv): Promise<void> {
  const problems: string[] = [];
  if (!findProgram("docker", env)) problems.push(`docker is not installed: ${DOCKER_INSTALL_HINT}`);
  else {
    const info = await new DockerCli(env).info();
    if (info.code !== 0) {
      const why = (info.stderr.trim() || info.stdout.trim()).split("\n")[0] ?? "";
      problems.push(
        `the Docker engine is not reachable ('docker info' failed${why ? `: ${why}` : ""}): start it ` +
          "(sudo systemctl start docker) or point DOCKER_HOST at a running engine",
      );
    }
  }
  if (!findProgram("kind", env)) problems.push(`kind is not installed: ${KIND_INSTALL_HINT}`);
  if (!findProgram("kubectl", env)) problems.push(`kubectl is not installed: ${KUBECTL_INSTALL_HINT}`);
  const ovs = await openvswitchModule(env);
  if (ovs !== true) problems.push(`the openvswitch kernel module ${ovs}: ${OVS_MODULE_HINT}`);
  if (problems.length) {
    throw new Error(`provider kind cannot run on this machine:\n  - ${problems.join("\n  - ")}`);
  }
}

/** `true` when loaded (lsmod) or loadable (modprobe -n: Antrea's init container loads it); else why not. */
async function openvswitchModule(env: NodeJS.ProcessEnv): Promise<true | string> {
  const sbin = ["/usr/sbin", "/sbin"];
  const lsmod = findProgram("lsmod", env, sbin);
  if (lsmod) {
    const res = await run([lsmod], { env, allowFailure: true });
    if (res.code === 0 && /^openvswitch\s/m.test(res.stdout)) return true;
  }
  const modprobe = findProgram("modprobe", env, sbin);
  if (!modprobe)
    return "is not loaded, and modprobe is not installed to check whether it can be (apt-get install kmod)";
  const res = await run([modprobe, "--dry-run", "openvswitch"], { env, allowFailure: true });
  if (res.code === 0) return true;
  const why = res.stderr.trim().split("\n")[0];
  return `is neither loaded nor loadable${why ? ` (${why})` : ""}`;
}
