// Maps a Pod's container (image, command, args, ports) to the host program the embedded kubelet runs in the
// Pod's sandbox. Images are never pulled: each supported family is played by a host program.
//   agnhost  -> agnhost.ts (the image's ENTRYPOINT is /agnhost, its CMD is `pause`)
//   busybox*, alpine* -> the command as a host program; with none, `sleep infinity` (their default `sh`
//               would exit at once without a terminal)
//   nginx*   -> agnhost.ts's nginx personality on the first TCP containerPort, else 80
//   pause    -> `sleep infinity`
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface ContainerPort {
  containerPort: number;
  protocol?: string;
  name?: string;
}

export interface ContainerSpec {
  image: string;
  command?: readonly string[];
  args?: readonly string[];
  ports?: readonly ContainerPort[];
}

/** What to run: argv[0] is a host program (absolute, or looked up on PATH); env is added to the Pod's. */
export type ContainerCommand = { argv: string[]; env?: Record<string, string> } | { error: string };

export const AGNHOST_PATH = fileURLToPath(new URL("./agnhost.ts", import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** The host argv that runs `agnhost ARGS...`; absolute paths, so it works from any working directory. */
export function agnhostArgv(args: readonly string[]): string[] {
  return [process.execPath, "--import", TSX_LOADER, AGNHOST_PATH, ...args];
}

const PAUSE = ["sleep", "infinity"];
const SUPPORTED =
  "agnhost (registry.k8s.io/e2e-test-images/agnhost), busybox, alpine, nginx and pause (registry.k8s.io/pause)";

export function resolveContainerCommand(container: ContainerSpec): ContainerCommand {
  const name = imageName(container.image);
  if (name === "agnhost")
    return { argv: resolveExecCommand(withImageDefaults(container, ["/agnhost"], ["pause"])) };
  if (name.startsWith("busybox") || name.startsWith("alpine")) {
    return { argv: withImageDefaults(container, [], PAUSE) };
  }
  if (name.startsWith("nginx")) {
    const program = container.command?.[0];
    if (program !== undefined && !basename(program).startsWith("nginx")) {
      return { argv: withImageDefaults(container, [], []) };
    }
    const port =
      container.ports?.find((p) => (p.protocol ?? "TCP").toUpperCase() === "TCP")?.containerPort ?? 80;
    return { argv: agnhostArgv(["nginx", `--port=${port}`]) };
  }
  if (name === "pause") return { argv: [...PAUSE] };
  return {
    error: `image "${container.image}" is not supported by the embedded lab; supported images: ${SUPPORTED}`,
  };
}

/**
 * Maps a command run inside a container (kubectl exec, exec probes) to the host: `/agnhost ...` or
 * `agnhost ...` becomes this program; anything else runs as the host program of that name.
 */
export function resolveExecCommand(argv: readonly string[]): string[] {
  const [program, ...rest] = argv;
  if (program === "/agnhost" || program === "agnhost") return agnhostArgv(rest);
  return [...argv];
}

// Kubernetes semantics: `command` replaces the image's ENTRYPOINT and drops its CMD; `args` replace CMD.
function withImageDefaults(container: ContainerSpec, entrypoint: string[], cmd: string[]): string[] {
  const args = container.args?.length ? [...container.args] : undefined;
  if (container.command?.length) return [...container.command, ...(args ?? [])];
  return [...entrypoint, ...(args ?? cmd)];
}

/** "registry.k8s.io/e2e-test-images/agnhost:2.52@sha256:..." -> "agnhost". */
export function imageName(image: string): string {
  const ref = image.split("@")[0] ?? "";
  const repo = ref.lastIndexOf(":") > ref.lastIndexOf("/") ? ref.slice(0, ref.lastIndexOf(":")) : ref;
  return basename(repo).toLowerCase();
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
