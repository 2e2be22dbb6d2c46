// The docker commands the provider needs: node containers (made by kind) and the lab's external hosts (made here).
import { z } from "zod";
import type { RunResult } from "../../images/common/exec.ts";
import { Tool, type ToolRunOptions } from "./cli.ts";
import { parseJsonOutput } from "./json-output.ts";

export const DOCKER_INSTALL_HINT =
  "install Docker Engine (https://docs.docker.com/engine/install/, or on Debian/Ubuntu: apt-get install docker.io)";

export interface ContainerState {
  name: string;
  /** docker's State: created, running, paused, restarting, exited, dead. */
  state: string;
}

export interface NetworkSubnet {
  subnet: string;
  gateway?: string;
}

export interface DockerExecOptions {
  env?: Record<string, string>;
  /** Keep stdin open (`-i`): needed to feed `input` or to attach a terminal. */
  interactive?: boolean;
  /** Allocate a terminal (`-t`). */
  tty?: boolean;
}

export class DockerCli {
  readonly tool: Tool;

  constructor(env: NodeJS.ProcessEnv) {
    this.tool = new Tool("docker", DOCKER_INSTALL_HINT, env);
  }

  /** `docker info`, which fails when the client cannot reach an engine. */
  info(): Promise<RunResult> {
    return this.tool.run(["info", "--format", "{{.ServerVersion}}"], {
      allowFailure: true,
      timeoutMs: 30_000,
    });
  }

  /** Runs a command in a container and returns its result whatever the exit code. */
  exec(
    container: string,
    argv: readonly string[],
    opts: DockerExecOptions & Pick<ToolRunOptions, "input" | "timeoutMs"> = {},
  ): Promise<RunResult> {
    const { input, timeoutMs, ...execOpts } = opts;
    return this.tool.run(execArgs(container, argv, { ...execOpts, interactive: input !== undefined }), {
      allowFailure: true,
      ...(input !== undefined ? { input } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  }

  /** `docker exec -i[t]` with the caller's terminal; resolves with the exit code. */
  execAttached(container: string, argv: readonly string[], opts: DockerExecOptions = {}): Promise<number> {
    return this.tool.attached(execArgs(container, argv, { ...opts, interactive: true }));
  }

  /** Containers (running or not) carrying every given label (`key=value`). */
  async ps(labels: readonly string[]): Promise<ContainerState[]> {
    const out = await this.tool.output([
      "ps",
      "--all",
      ...labels.flatMap((l) => ["--filter", `label=${l}`]),
      "--format",
      "{{.Names}} {{.State}}",
    ]);
    return out
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => {
        const [name = "", state = "unknown"] = l.trim().split(/\s+/);
        return { name, state };
      });
  }

  /** Starts a detached container; returns its id. */
  async runDetached(spec: {
    name: string;
    image: string;
    network: string;
    hostname?: string;
    labels: Record<string, string>;
    args: readonly string[];
  }): Promise<string> {
    return this.tool.output(
      [
        "run",
        "--detach",
        "--name",
        spec.name,
        ...(spec.hostname ? ["--hostname", spec.hostname] : []),
        "--network",
        spec.network,
        ...Object.entries(spec.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
        spec.image,
        ...spec.args,
      ],
      { timeoutMs: 10 * 60_000 },
    );
  }

  async removeForce(names: readonly string[]): Promise<void> {
    if (names.length) await this.tool.run(["rm", "--force", ...names]);
  }

  /** The IPv4 subnet of a docker network (kind's network also has an IPv6 one). */
  async ipv4Subnet(network: string): Promise<NetworkSubnet> {
    const out = await this.tool.output(["network", "inspect", network, "--format", "{{json .IPAM.Config}}"]);
    const configs = parseJsonOutput(IpamConfig, out, `docker network inspect ${network}`);
    const v4 = (configs ?? []).find((c) => c.Subnet && !c.Subnet.includes(":"));
    if (!v4?.Subnet) throw new Error(`docker network ${network} has no IPv4 subnet (IPAM config: ${out})`);
    return { subnet: v4.Subnet, ...(v4.Gateway ? { gateway: v4.Gateway } : {}) };
  }

  /** A container's IPv4 address on one network. */
  async address(container: string, network: string): Promise<string> {
    const ip = await this.tool.output([
      "inspect",
      "--format",
      `{{with index .NetworkSettings.Networks "${network}"}}{{.IPAddress}}{{end}}`,
      container,
    ]);
    if (!ip) throw new Error(`container ${container} has no address on docker network ${network}`);
    return ip;
  }
}

const IpamConfig = z
  .array(z.object({ Subnet: z.string().optional(), Gateway: z.string().optional() }))
  .nullable();

function execArgs(container: string, argv: readonly string[], opts: DockerExecOptions): string[] {
  if (!argv.length) throw new Error("no command given");
  const flags = [...(opts.interactive ? ["--interactive"] : []), ...(opts.tty ? ["--tty"] : [])];
  const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  return ["exec", ...flags, ...env, container, ...argv];
}
