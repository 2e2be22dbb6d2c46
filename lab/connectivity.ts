// Reachability between the hosts of a lab over the underlay: every host pings every other host's address.
// Only lab addresses are ever targeted. Two probes, so that one lost first packet (ARP) is not a failure.
import type { LabStatus, Provider } from "./provider.ts";

export interface PingResult {
  from: string;
  to: string;
  ok: boolean;
  /** Round-trip time in ms when ok. */
  rttMs?: number;
}

export async function underlayPingMatrix(provider: Provider, status: LabStatus): Promise<PingResult[]> {
  const hosts = status.hosts;
  const pairs = hosts.flatMap((a) => hosts.filter((b) => b !== a).map((b) => [a, b] as const));
  return Promise.all(
    pairs.map(async ([a, b]): Promise<PingResult> => {
      const target =
        a.role === "external"
          ? { kind: "external" as const, name: a.name }
          : { kind: "node" as const, name: a.name };
      const res = await provider.exec(
        status.name,
        target,
        ["ping", "-c", "2", "-i", "0.2", "-W", "1", "-n", b.address],
        {
          timeoutMs: 3000,
        },
      );
      const rtt = /time=([\d.]+) ms/.exec(res.stdout)?.[1];
      return { from: a.name, to: b.name, ok: res.code === 0, ...(rtt ? { rttMs: Number(rtt) } : {}) };
    }),
  );
}
