// Loads a topology file: YAML syntax, then the zod schema, then the checks that need the whole file
// (one control-plane, non-overlapping subnets, addresses inside the underlay). Every mistake is reported
// with file:line:column, and nothing is created before the file is known to be good.

import { contains, formatCidr, mustParseCidr, nth, overlaps, parseIp, size } from "../common/ipv4.ts";
import { InvalidInputError, type SourceProblem, YamlSource } from "../common/source-file.ts";
import { TopologyFile } from "./schema.ts";

export interface LoadedTopology {
  file: string;
  spec: TopologyFile;
}

export async function loadTopology(file: string): Promise<LoadedTopology> {
  const { source, problems } = await YamlSource.read(file);
  return checked(source, problems);
}

export function parseTopology(file: string, text: string): LoadedTopology {
  const { source, problems } = YamlSource.parse(file, text);
  return checked(source, problems);
}

function checked(source: YamlSource, syntax: SourceProblem[]): LoadedTopology {
  if (syntax.length) throw new InvalidInputError(syntax);
  const spec = source.validate(TopologyFile);
  const problems = semanticProblems(source, spec);
  if (problems.length) throw new InvalidInputError(problems);
  return { file: source.file, spec };
}

function semanticProblems(src: YamlSource, spec: TopologyFile): SourceProblem[] {
  const problems: SourceProblem[] = [];
  const net = spec.network;
  const nodes = Object.entries(spec.topology.nodes);
  const external = Object.entries(spec.topology.external);

  const controlPlanes = nodes.filter(([, n]) => n.role === "control-plane");
  if (nodes.length === 0) problems.push(src.problem(["topology", "nodes"], "a lab needs at least one node"));
  else if (controlPlanes.length !== 1) {
    problems.push(
      src.problem(
        ["topology", "nodes"],
        `exactly one node must have role control-plane (found ${controlPlanes.length}: ${
          controlPlanes.map(([n]) => n).join(", ") || "none"
        })`,
      ),
    );
  }
  for (const [name] of external) {
    if (spec.topology.nodes[name]) {
      problems.push(
        src.problem(["topology", "external", name], `name "${name}" is already used by a node`, true),
      );
    }
  }

  const pods = mustParseCidr(net.pods);
  const services = mustParseCidr(net.services);
  const ranges: [string, ReturnType<typeof mustParseCidr>][] = [
    ["pods", pods],
    ["services", services],
  ];
  if (net.underlay !== "auto") ranges.push(["underlay", mustParseCidr(net.underlay)]);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, ca] = ranges[i]!;
      const [b, cb] = ranges[j]!;
      if (overlaps(ca, cb)) {
        problems.push(
          src.problem(
            ["network", b],
            `network.${b} ${formatCidr(cb)} overlaps network.${a} ${formatCidr(ca)}`,
          ),
        );
      }
    }
  }
  if (net.nodeMaskSize < pods.prefix) {
    problems.push(
      src.problem(["network", "nodeMaskSize"], `must be at least the pods prefix /${pods.prefix}`),
    );
  } else if (2 ** (net.nodeMaskSize - pods.prefix) < nodes.length) {
    problems.push(
      src.problem(
        ["network", "pods"],
        `${net.pods} has room for ${2 ** (net.nodeMaskSize - pods.prefix)} node subnets of /${net.nodeMaskSize}, ` +
          `but the lab has ${nodes.length} nodes`,
      ),
    );
  }

  const hosts = [
    ...nodes.map(([name, n]) => ({ path: ["topology", "nodes", name, "address"], address: n.address })),
    ...external.map(([name, e]) => ({ path: ["topology", "external", name, "address"], address: e.address })),
  ];
  const seen = new Map<string, string>();
  for (const { path, address } of hosts) {
    if (!address) continue;
    const owner = path[2]!;
    if (net.underlay === "auto") {
      problems.push(src.problem(path, `a fixed address needs a fixed network.underlay (it is "auto")`));
      continue;
    }
    const ul = mustParseCidr(net.underlay);
    const ip = parseIp(address)!;
    if (!contains(ul, ip))
      problems.push(src.problem(path, `${address} is outside network.underlay ${net.underlay}`));
    else if (ip === nth(ul, 0) || ip === nth(ul, size(ul) - 1) || ip === nth(ul, 1)) {
      problems.push(
        src.problem(
          path,
          `${address} is reserved (network, broadcast, or the host's address ${formatCidr(ul)} .1)`,
        ),
      );
    }
    const other = seen.get(address);
    if (other) problems.push(src.problem(path, `${address} is already the address of ${other}`));
    seen.set(address, owner);
  }
  if (net.underlay !== "auto") {
    const ul = mustParseCidr(net.underlay);
    // network, broadcast and the host's .1 are not for nodes
    if (size(ul) - 3 < hosts.length) {
      problems.push(
        src.problem(["network", "underlay"], `${net.underlay} is too small for ${hosts.length} hosts`),
      );
    }
  }
  return problems;
}
