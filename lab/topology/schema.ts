// The topology file format: one YAML file per lab, containerlab-style (`name`, `topology.nodes`).
// This zod schema is the single source of truth; lab/topologies/topology.schema.json is generated from it.
import { z } from "zod";
import { parseCidr } from "../common/ipv4.ts";

/** Kernel interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
/** Root-namespace link of a lab is `ol-<lab>`, so the lab name gets what is left of IFNAMSIZ. */
export const LAB_NAME_MAX = IFNAME_MAX - "ol-".length;

const dnsLabel = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

// No '-' in lab names: kernel object names are `ol-<lab>-<node>`, and a dash in the lab name would let lab "a" node
// "b-c" and lab "a-b" node "c" collide. (containerlab's docs give the same advice for its lab names.)
export const LabName = z
  .string()
  .regex(/^[a-z][a-z0-9]*$/, "must be lower-case letters and digits, starting with a letter (no '-')")
  .max(
    LAB_NAME_MAX,
    `must be at most ${LAB_NAME_MAX} characters (it is part of the interface name "ol-<name>")`,
  );

const HostName = z
  .string()
  .regex(dnsLabel, "must be lower-case letters, digits and '-', starting with a letter (a DNS label)")
  .max(IFNAME_MAX, `must be at most ${IFNAME_MAX} characters (it names the node's underlay interface)`);

const Cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: "is not an IPv4 CIDR such as 10.244.0.0/16 (address bits beyond the prefix must be zero)",
});

const Ipv4 = z.ipv4({ message: "is not an IPv4 address" });

const LabelMap = z.record(z.string(), z.string());

export const NodeSpec = z
  .strictObject({
    role: z.enum(["control-plane", "worker"]).describe("Kubernetes role; exactly one control-plane node"),
    address: Ipv4.optional().describe("underlay IPv4 address; assigned in file order when omitted"),
    labels: LabelMap.optional().describe("extra Kubernetes node labels"),
  })
  .describe("A Kubernetes node: a network namespace with its own Open vSwitch");

export const ExternalHostSpec = z
  .strictObject({
    address: Ipv4.optional().describe(
      "underlay IPv4 address; assigned from the top of the subnet when omitted",
    ),
  })
  .describe("A host on the underlay outside the cluster (plays 'the internet' for Egress and NodePortLocal)");

export const NetworkSpec = z
  .strictObject({
    underlay: z
      .union([z.literal("auto"), Cidr])
      .default("auto")
      .describe("node network; 'auto' picks a free 172.18.N.0/24 so that labs can run side by side"),
    pods: Cidr.default("10.244.0.0/16").describe("cluster Pod CIDR; every node gets a slice of it"),
    nodeMaskSize: z
      .number()
      .int()
      .min(16)
      .max(28)
      .default(24)
      .describe("prefix length of each node's Pod CIDR"),
    services: Cidr.default("10.96.0.0/16").describe("ClusterIP range"),
    tunnel: z.enum(["vxlan", "geneve"]).default("vxlan").describe("overlay encapsulation between nodes"),
    mtu: z.number().int().min(1280).max(9000).default(1500).describe("underlay MTU; Pod MTU = mtu - 50"),
  })
  .describe("Addressing of the lab");

export const TopologyFile = z
  .strictObject({
    $schema: z.string().optional(),
    name: LabName.describe("lab name: part of every namespace, interface and state directory name"),
    provider: z.enum(["netns", "kind"]).default("netns").describe("backend that runs the lab"),
    network: NetworkSpec.prefault({}),
    topology: z.strictObject({
      nodes: z.record(HostName, NodeSpec).describe("Kubernetes nodes by name"),
      external: z.record(HostName, ExternalHostSpec).default({}).describe("external hosts by name"),
    }),
  })
  .describe("An ovslab topology: the nodes and networks of one lab");

export type TopologyFile = z.output<typeof TopologyFile>;
export type NodeSpec = z.output<typeof NodeSpec>;
