// PodNetwork implementations for the CNI server's tests, standing in for the agent's OVS wiring.
//  VethPodNetwork      really creates a veth pair: the host end in a "node" netns the test owns, the other end as
//                      the Pod's interface with its address, MTU and a default route via the gateway.
//  RecordingPodNetwork touches nothing; it answers fixed MACs, can be slow or fail, and records call times.
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { output, run } from "../../common/exec.ts";
import type { PodInterfaceRequest, PodInterfaceResult, PodNetwork } from "../pod-network.ts";

export interface RecordedCall {
  op: "add" | "del" | "check";
  containerId: string;
  ifName: string;
  start: number;
  end: number;
}

type DelRequest = Parameters<PodNetwork["del"]>[0];

export class VethPodNetwork implements PodNetwork {
  readonly calls: RecordedCall["op"][] = [];

  constructor(private readonly nodeNetns: string) {}

  /** The host end's name: derived from container and interface, so DEL finds it without state. */
  hostIfName(containerId: string, ifName: string): string {
    return `tc${createHash("sha256").update(`${containerId}/${ifName}`).digest("hex").slice(0, 8)}`;
  }

  async add(req: PodInterfaceRequest): Promise<PodInterfaceResult> {
    this.calls.push("add");
    const host = this.hostIfName(req.containerId, req.ifName);
    const pod = basename(req.netnsPath);
    const mtu = String(req.mtu);
    const link = ["link", "add", host, "mtu", mtu, "type", "veth"];
    await run(["ip", "-n", this.nodeNetns, ...link, "peer", "name", req.ifName, "mtu", mtu, "netns", pod]);
    await run(["ip", "-n", this.nodeNetns, "link", "set", host, "up"]);
    await run(["ip", "-n", pod, "addr", "add", req.ip, "dev", req.ifName]);
    await run(["ip", "-n", pod, "link", "set", req.ifName, "up"]);
    await run(["ip", "-n", pod, "route", "add", "default", "via", req.gateway, "dev", req.ifName]);
    return {
      hostIfName: host,
      hostMac: await mac(this.nodeNetns, host),
      podMac: await mac(pod, req.ifName),
    };
  }

  async del(req: DelRequest): Promise<void> {
    this.calls.push("del");
    // Deleting the host end takes the Pod's end with it; already gone is fine.
    const host = this.hostIfName(req.containerId, req.ifName);
    const r = await run(["ip", "-n", this.nodeNetns, "link", "del", host], { allowFailure: true });
    if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) throw new Error(r.stderr.trim());
  }

  async check(req: PodInterfaceRequest): Promise<void> {
    this.calls.push("check");
    const host = this.hostIfName(req.containerId, req.ifName);
    await run(["ip", "-n", this.nodeNetns, "link", "show", host]);
    const addrs = await output([
      "ip",
      "-n",
      basename(req.netnsPath),
      "-o",
      "addr",
      "show",
      "dev",
      req.ifName,
    ]);
    if (!addrs.includes(` ${req.ip} `)) throw new Error(`${req.ifName} does not hold ${req.ip}`);
  }
}

async function mac(netns: string, dev: string): Promise<string> {
  const [link] = JSON.parse(await output(["ip", "-n", netns, "-j", "link", "show", dev])) as {
    address: string;
  }[];
  if (!link) throw new Error(`no link ${dev} in ${netns}`);
  return link.address;
}

export class RecordingPodNetwork implements PodNetwork {
  readonly calls: RecordedCall[] = [];

  constructor(private readonly opts: { addDelayMs?: number; failAdd?: string } = {}) {}

  async add(req: PodInterfaceRequest): Promise<PodInterfaceResult> {
    return this.record("add", req, async () => {
      if (this.opts.addDelayMs) await sleep(this.opts.addDelayMs);
      if (this.opts.failAdd) throw new Error(this.opts.failAdd);
      return { hostIfName: `fake-${req.ifName}`, hostMac: "02:00:00:00:00:01", podMac: "02:00:00:00:00:02" };
    });
  }

  async del(req: DelRequest): Promise<void> {
    await this.record("del", req, async () => {});
  }

  async check(req: PodInterfaceRequest): Promise<void> {
    await this.record("check", req, async () => {});
  }

  private async record<T>(
    op: RecordedCall["op"],
    req: { containerId: string; ifName: string },
    fn: () => Promise<T>,
  ): Promise<T> {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      this.calls.push({ op, containerId: req.containerId, ifName: req.ifName, start, end: Date.now() });
    }
  }
}
