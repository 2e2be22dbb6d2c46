// The agent's one packet-in receiver: `ovs-ofctl monitor` on br-int's management socket, which receives the
// packet-ins of controller() actions without the agent being an OpenFlow controller
// (reference/ovs-userspace-datapath.md §7: a service connection with a miss_send_len gets them). Subscribers
// (Reject answers, Traceflow) each see every packet-in and pick theirs by userdata or tag. The child is wrapped in
// `setpriv --pdeathsig KILL` because an orphaned monitor would otherwise live on; it is restarted when it exits
// (ovs-vswitchd restarted) until stopped.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { ovsEnv } from "../../common/ovs.ts";
import { errorMessage, type Logger } from "../log.ts";
import { type PacketIn, PacketInParser } from "./packet-in.ts";

export type PacketInHandler = (p: PacketIn) => void;

const MAX_RESTART_DELAY_MS = 10_000;

export class PacketInMonitor {
  private child?: ChildProcess;
  private stopped = false;
  private failures = 0;
  private restart?: NodeJS.Timeout;
  private readonly handlers = new Set<PacketInHandler>();

  constructor(
    private readonly opts: {
      rundir: string;
      bridge: string;
      log: Logger;
    },
  ) {}

  /** Adds a handler; returns what removes it. */
  subscribe(handler: PacketInHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  private dispatch(packetIn: PacketIn): void {
    for (const handler of this.handlers) {
      try {
        handler(packetIn);
      } catch (err) {
        this.opts.log.warn(`packet-in handler failed: ${errorMessage(err)}`);
      }
    }
  }

  start(): void {
    if (this.stopped || this.child) return;
    const { rundir, bridge, log } = this.opts;
    // -m prints the packet as a hex dump; 65534 is the miss_send_len that makes OVS send packet-ins at all.
    const argv = ["--pdeathsig", "KILL", "--", "ovs-ofctl", "-O", "OpenFlow15", "-m", "--no-names"];
    const child = spawn(
      "setpriv",
      [...argv, "monitor", `unix:${rundir}/${bridge}.mgmt`, "65534", "-P", "nxt_packet_in2"],
      { env: { ...process.env, ...ovsEnv(rundir) }, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child = child;
    const parser = new PacketInParser();
    const started = Date.now();
    // ovs-ofctl prints the messages on stderr; stdout is read too, in case that changes.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        if (line.startsWith("ovs-ofctl:")) log.warn(`packet-in monitor: ${line}`);
        const packetIn = parser.line(line);
        if (packetIn) this.dispatch(packetIn);
      });
    }
    child.on("error", (err) => log.warn(`packet-in monitor: ${err.message}`));
    child.on("close", (code, signal) => {
      this.child = undefined;
      if (this.stopped) return;
      this.failures = Date.now() - started > MAX_RESTART_DELAY_MS ? 1 : this.failures + 1;
      const delay = Math.min(500 * 2 ** (this.failures - 1), MAX_RESTART_DELAY_MS);
      log.warn(
        `packet-in monitor of ${bridge} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`,
      );
      this.restart = setTimeout(() => this.start(), delay);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restart);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("close", () => resolve());
      child.kill("SIGTERM");
    });
  }
}
