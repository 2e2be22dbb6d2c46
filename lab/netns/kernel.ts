// Kernel configuration of lab namespaces: batched `ip` commands and per-namespace shell snippets, so that a node
// costs a handful of process starts rather than dozens.
import { output, run } from "../../images/common/exec.ts";

/** Runs `ip` subcommands (one per line) in one process; in `netns` when given. */
export async function ipBatch(
  lines: readonly string[],
  opts: { netns?: string; force?: boolean } = {},
): Promise<void> {
  if (!lines.length) return;
  const argv = [
    "ip",
    ...(opts.netns ? ["-n", opts.netns] : []),
    ...(opts.force ? ["-force"] : []),
    "-batch",
    "-",
  ];
  await run(argv, { input: `${lines.join("\n")}\n`, allowFailure: opts.force === true });
}

/** Runs a POSIX shell script inside a namespace, stopping at the first failing command. */
export async function shellIn(netns: string, script: string): Promise<void> {
  await run(["sh", "-ec", script], { netns });
}

export async function listNetns(): Promise<string[]> {
  const text = await output(["ip", "netns", "list"]);
  return text
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter(Boolean);
}

export async function linkNames(netns?: string): Promise<string[]> {
  const argv = ["ip", ...(netns ? ["-n", netns] : []), "-j", "link", "show"];
  const res = await run(argv, { allowFailure: true });
  if (res.code !== 0) return [];
  return (JSON.parse(res.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname);
}

/** IPv4 routes of the root namespace (all tables), as CIDR strings, for clash checks with lab subnets. */
export async function hostRoutes(): Promise<{ dst: string; dev?: string }[]> {
  const res = await run(["ip", "-4", "-j", "route", "show", "table", "all"], { allowFailure: true });
  if (res.code !== 0) return [];
  const routes = JSON.parse(res.stdout || "[]") as { dst: string; dev?: string; type?: string }[];
  return routes
    .filter(
      (r) => r.dst !== "default" && (r.type === undefined || r.type === "unicast" || r.type === "local"),
    )
    .map((r) => ({ dst: r.dst.includes("/") ? r.dst : `${r.dst}/32`, ...(r.dev ? { dev: r.dev } : {}) }));
}
