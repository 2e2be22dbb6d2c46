// Which agents are alive, as Antrea learns it from hashicorp/memberlist on clusterPort 10351: a SWIM-style failure
// detector over UDP between the agents, on the underlay. Timings and the differences from memberlist are in
// README.md ("Liveness"). In short: every agent probes every other agent every second; no ack within 200 ms ->
// indirect probes through another agent; still nothing after 500 ms -> suspect; silent for another 500 ms -> dead.
// Any message from a peer proves it alive again (a resumed or reconnected agent comes back at once). Each agent
// decides on its own (no gossip of verdicts): with a handful of Nodes, direct probing is as fast and simpler.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { z } from "zod";
import { errorMessage, type Logger } from "../log.ts";

/** Antrea's clusterPort. */
export const CLUSTER_PORT = 10351;

export interface LivenessTimings {
  /** How often each peer is probed (memberlist ProbeInterval). */
  probeIntervalMs: number;
  /** How long to wait for a direct ack before asking another agent to probe (memberlist ProbeTimeout). */
  probeTimeoutMs: number;
  /** A probe without any ack after this long has failed: the peer becomes suspect. */
  probeFailMs: number;
  /** A suspect that stays silent this long is dead; suspects are re-probed every probeTimeoutMs meanwhile. */
  suspicionMs: number;
  /** How many other agents are asked to probe a peer that does not answer (memberlist IndirectChecks). */
  indirectChecks: number;
}

export const DEFAULT_TIMINGS: LivenessTimings = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 200,
  probeFailMs: 500,
  suspicionMs: 500,
  indirectChecks: 1,
};

/** Granularity of the timers. */
const TICK_MS = 50;
/** A tick this late means the process was stopped (SIGSTOP) or starved: no verdicts from stale timers. */
const PAUSE_GAP_MS = 500;

export interface Peer {
  name: string;
  ip: string;
}

type State = "unknown" | "alive" | "suspect" | "dead";

interface PeerState {
  peer: Peer;
  state: State;
  nextProbeAt: number;
  probe?: { seq: number; sentAt: number; indirect: boolean };
  suspectSince?: number;
}

const identity = z.object({ name: z.string().min(1).max(253) });
const messageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ping"), seq: z.number().int(), from: identity }),
  z.object({ type: z.literal("ack"), seq: z.number().int(), from: identity }),
  z.object({
    type: z.literal("ping-req"),
    seq: z.number().int(),
    from: identity,
    target: z.object({ name: z.string().min(1).max(253), ip: z.ipv4() }),
  }),
]);
type Message = z.output<typeof messageSchema>;

export interface LivenessOptions {
  /** This agent: its Node's name and transport address (bound to, on `port`). */
  self: Peer;
  port?: number;
  /** The set of live Nodes changed. */
  onChange: () => void;
  /** The process was paused (or starved) and runs again. */
  onResume?: () => void;
  log: Logger;
}

export class NodeLiveness {
  private readonly peers = new Map<string, PeerState>();
  /** Probes this agent runs for others (ping-req): our seq -> whom to tell, under which seq. */
  private readonly relays = new Map<number, { to: RemoteInfo; seq: number; until: number }>();
  private readonly timings: LivenessTimings = DEFAULT_TIMINGS;
  private readonly port: number;
  private seq = 0;
  private lastTick = Date.now();
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: LivenessOptions,
  ) {
    this.port = opts.port ?? CLUSTER_PORT;
  }

  /** Binds `self.ip:port` (UDP) and starts probing; peers come with setPeers(). */
  static async start(opts: LivenessOptions): Promise<NodeLiveness> {
    const socket = createSocket("udp4");
    const liveness = new NodeLiveness(socket, opts);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(liveness.port, opts.self.ip, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.on("error", (err) => opts.log.warn(`liveness socket: ${errorMessage(err)}`));
    socket.on("message", (buf, rinfo) => liveness.receive(buf, rinfo));
    liveness.timer = setInterval(() => liveness.tick(), TICK_MS);
    return liveness;
  }

  /** The agents to watch (every other Node); new ones are probed at once and count as dead until they answer. */
  setPeers(peers: readonly Peer[]): void {
    const wanted = new Map(peers.filter((p) => p.name !== this.opts.self.name).map((p) => [p.name, p]));
    let changed = false;
    for (const [name, s] of this.peers) {
      if (!wanted.has(name)) {
        changed ||= s.state === "alive" || s.state === "suspect";
        this.peers.delete(name);
      }
    }
    for (const [name, peer] of wanted) {
      const s = this.peers.get(name);
      if (!s) this.peers.set(name, { peer, state: "unknown", nextProbeAt: 0 });
      else s.peer = peer;
    }
    if (changed) this.opts.onChange();
  }

  /** Names of the live Nodes, this one included (suspects still count, as in memberlist). */
  aliveNodes(): Set<string> {
    const alive = new Set([this.opts.self.name]);
    for (const [name, s] of this.peers) if (s.state === "alive" || s.state === "suspect") alive.add(name);
    return alive;
  }

  /** Resolves once every peer answered or failed its first probe, so that aliveNodes() means something. */
  async settled(signal?: AbortSignal): Promise<void> {
    while ([...this.peers.values()].some((s) => s.state === "unknown")) {
      signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private tick(): void {
    const now = Date.now();
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (gap > PAUSE_GAP_MS) {
      this.resume(now, gap);
      return;
    }
    const t = this.timings;
    for (const s of this.peers.values()) {
      const probe = s.probe;
      if (probe) {
        const age = now - probe.sentAt;
        if (age >= t.probeFailMs) {
          s.probe = undefined;
          this.probeFailed(s, now);
        } else if (age >= t.probeTimeoutMs && !probe.indirect) {
          probe.indirect = true;
          this.send(s.peer.ip, this.message("ping", probe.seq));
          for (const helper of this.helpers(s.peer.name)) {
            this.send(helper.ip, { ...this.message("ping-req", probe.seq), target: s.peer });
          }
        }
      }
      if (s.state === "suspect" && now - (s.suspectSince ?? now) >= t.suspicionMs) {
        s.state = "dead";
        s.probe = undefined;
        s.nextProbeAt = now + t.probeIntervalMs;
        this.opts.log.warn(
          `Node ${s.peer.name} (${s.peer.ip}) is dead: no answer for ${now - s.suspectSince!} ms`,
        );
        this.opts.onChange();
      }
      if (!s.probe && now >= s.nextProbeAt) {
        const seq = ++this.seq;
        s.probe = { seq, sentAt: now, indirect: false };
        // Suspects are re-probed quickly: an answer in time clears them.
        s.nextProbeAt = now + (s.state === "suspect" ? t.probeTimeoutMs : t.probeIntervalMs);
        this.send(s.peer.ip, this.message("ping", seq));
      }
    }
    for (const [seq, r] of this.relays) if (now > r.until) this.relays.delete(seq);
  }

  private probeFailed(s: PeerState, now: number): void {
    if (s.state === "alive") {
      s.state = "suspect";
      s.suspectSince = now;
      this.opts.log.warn(
        `Node ${s.peer.name} (${s.peer.ip}) is suspect: no ack within ${this.timings.probeFailMs} ms`,
      );
    } else if (s.state === "unknown") {
      s.state = "dead";
      this.opts.log.info(`Node ${s.peer.name} (${s.peer.ip}) does not answer`);
    }
  }

  /** After a pause every timer is stale: forget pending probes, restart suspicion, probe everyone now. */
  private resume(now: number, gap: number): void {
    this.opts.log.warn(`liveness timers ran ${gap} ms late (process stopped?); probing every Node again`);
    for (const s of this.peers.values()) {
      s.probe = undefined;
      s.nextProbeAt = now;
      if (s.state === "suspect") s.suspectSince = now;
    }
    this.relays.clear();
    this.opts.onResume?.();
  }

  /** Up to indirectChecks live peers other than `target`, chosen at random. */
  private helpers(target: string): Peer[] {
    const candidates = [...this.peers.values()]
      .filter((s) => s.peer.name !== target && s.state === "alive")
      .map((s) => s.peer);
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    return candidates.slice(0, this.timings.indirectChecks);
  }

  private receive(buf: Buffer, from: RemoteInfo): void {
    let msg: Message;
    try {
      const parsed = messageSchema.safeParse(JSON.parse(buf.toString("utf8")));
      if (!parsed.success) return;
      msg = parsed.data;
    } catch {
      return; // not JSON: not one of ours
    }
    switch (msg.type) {
      case "ping":
        this.heard(msg.from.name);
        this.reply(from, this.message("ack", msg.seq));
        return;
      case "ack": {
        const relay = this.relays.get(msg.seq);
        if (relay) {
          this.relays.delete(msg.seq);
          this.reply(relay.to, { type: "ack", seq: relay.seq, from: msg.from });
        }
        const s = this.peers.get(msg.from.name);
        if (s?.probe?.seq === msg.seq) s.probe = undefined;
        this.heard(msg.from.name);
        return;
      }
      case "ping-req": {
        this.heard(msg.from.name);
        const seq = ++this.seq;
        this.relays.set(seq, { to: from, seq: msg.seq, until: Date.now() + this.timings.probeFailMs });
        this.send(msg.target.ip, this.message("ping", seq));
        return;
      }
    }
  }

  /** Any message from a peer proves it alive. */
  private heard(name: string): void {
    const s = this.peers.get(name);
    if (!s || s.state === "alive") return;
    const wasAlive = s.state === "suspect";
    if (s.state === "dead") this.opts.log.info(`Node ${name} (${s.peer.ip}) is alive again`);
    s.state = "alive";
    s.suspectSince = undefined;
    s.nextProbeAt = Math.min(s.nextProbeAt, Date.now() + this.timings.probeIntervalMs);
    if (!wasAlive) this.opts.onChange();
  }

  private message(type: "ping" | "ack" | "ping-req", seq: number) {
    return { type, seq, from: { name: this.opts.self.name } };
  }

  private send(ip: string, msg: object): void {
    this.socket.send(JSON.stringify(msg), this.port, ip, () => {
      // Unreachable peers (link down) fail here; their silence is what the probes measure.
    });
  }

  private reply(to: RemoteInfo, msg: object): void {
    this.socket.send(JSON.stringify(msg), to.port, to.address, () => {});
  }
}
