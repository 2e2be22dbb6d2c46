import { describe, expect, it } from "vitest";
import {
  canonicalIP,
  newTraceflow,
  randomNameSuffix,
  type TraceflowRequest,
  traceflowName,
} from "./traceflow-request.ts";

const base: TraceflowRequest = {
  liveTraffic: false,
  droppedOnly: false,
  nowait: false,
  timeoutSeconds: 10,
};
/** Pods that exist, as `ns/name`: every other name is taken for a Service. */
const pods = new Set(["default/web", "default/client", "ns1/db"]);
const isPod = async (ns: string, name: string) => pods.has(`${ns}/${name}`);
const fixed = () => "bcdfg234";

describe("traceflowName", () => {
  it("appends 8 characters of apimachinery's rand.String alphabet, except with --nowait", () => {
    expect(traceflowName("client-to-web", false, fixed)).toBe("client-to-web-bcdfg234");
    expect(traceflowName("client-to-web", true, fixed)).toBe("client-to-web");
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const suffix = randomNameSuffix();
      expect(suffix).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{8}$/);
      seen.add(suffix);
    }
    expect(seen.size).toBe(50);
  });

  it("turns the colons of IPv6 addresses into dashes", () => {
    expect(traceflowName("web-to-fd00::1", true)).toBe("web-to-fd00-1");
    expect(traceflowName("web-to-fd00:1:2::3", true)).toBe("web-to-fd00-1-2-3");
  });
});

describe("canonicalIP (Go's net.ParseIP(...).String())", () => {
  it("prints IPv6 compressed and lower-case, IPv4-mapped addresses as IPv4, and refuses non-IPs", () => {
    expect(canonicalIP("10.0.0.5")).toBe("10.0.0.5");
    expect(canonicalIP("2001:DB8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIP("::ffff:10.1.2.3")).toBe("10.1.2.3");
    for (const bad of ["web", "10.0.0.256", "010.0.0.1", "fe80::1%eth0", "ns/10.0.0.1"]) {
      expect(canonicalIP(bad), bad).toBeUndefined();
    }
  });
});

describe("newTraceflow", () => {
  it("builds a Pod-to-Pod trace in Namespace default with Antrea's name and spec", async () => {
    expect(await newTraceflow({ ...base, source: "client", destination: "web" }, isPod, fixed)).toEqual({
      apiVersion: "crd.antrea.io/v1beta1",
      kind: "Traceflow",
      metadata: { name: "client-to-web-bcdfg234" },
      spec: {
        source: { namespace: "default", pod: "client" },
        destination: { namespace: "default", pod: "web" },
        packet: { ipHeader: {}, transportHeader: {} },
        timeout: 10,
      },
    });
  });

  it("takes a name that is not a Pod for a Service, and names both ends ns-name", async () => {
    const tf = await newTraceflow(
      { ...base, source: "ns1/db", destination: "ns1/frontend", flow: "tcp,tcp_dst=80" },
      isPod,
      fixed,
    );
    expect(tf.metadata.name).toBe("ns1-db-to-ns1-frontend-bcdfg234");
    expect(tf.spec.destination).toEqual({ namespace: "ns1", service: "frontend" });
    expect(tf.spec.packet).toEqual({ ipHeader: { protocol: 6 }, transportHeader: { tcp: { dstPort: 80 } } });
  });

  it("puts an IP destination in spec.destination.ip without asking for a Pod", async () => {
    const asked: string[] = [];
    const tf = await newTraceflow(
      { ...base, source: "client", destination: "fd00::a", nowait: true },
      async (ns, name) => {
        asked.push(`${ns}/${name}`);
        return false;
      },
    );
    expect(asked).toEqual([]);
    expect(tf.metadata.name).toBe("client-to-fd00-a");
    expect(tf.spec.destination).toEqual({ ip: "fd00::a" });
  });

  it("builds live-traffic traces: source IP or none (any), dropped-only, no timeout when under a second", async () => {
    const fromIP = await newTraceflow(
      { ...base, liveTraffic: true, source: "10.10.1.5", destination: "web", timeoutSeconds: 0 },
      isPod,
      fixed,
    );
    expect(fromIP.metadata.name).toBe("10.10.1.5-to-web-bcdfg234");
    expect(fromIP.spec).toEqual({
      source: { ip: "10.10.1.5" },
      destination: { namespace: "default", pod: "web" },
      packet: { ipHeader: {}, transportHeader: {} },
      liveTraffic: true,
    });
    const dropped = await newTraceflow(
      { ...base, liveTraffic: true, droppedOnly: true, destination: "web", flow: "udp" },
      isPod,
      fixed,
    );
    expect(dropped.metadata.name).toBe("any-to-web-bcdfg234");
    expect(dropped.spec).toMatchObject({ source: {}, liveTraffic: true, droppedOnly: true, timeout: 10 });
  });

  it("fails with Antrea's messages", async () => {
    const fails = (req: Partial<TraceflowRequest>) => newTraceflow({ ...base, ...req }, isPod, fixed);
    await expect(fails({ source: "10.0.0.1", destination: "web" })).rejects.toThrow(
      /^source must be a Pod if not a live-traffic Traceflow$/,
    );
    await expect(fails({ source: "a/b/c", destination: "web" })).rejects.toThrow(
      /^source should be in the format of Namespace\/Pod or Pod, or an IP address$/,
    );
    await expect(fails({ source: "client", destination: "/web" })).rejects.toThrow(
      /^destination should be in the format of Namespace\/Pod, Pod, Namespace\/Service or Service$/,
    );
    await expect(fails({ liveTraffic: true, source: "10.0.0.1", destination: "frontend" })).rejects.toThrow(
      /^one of source and destination must be a Pod$/,
    );
    await expect(fails({ source: "client", destination: "web", flow: "tcp_dst=x" })).rejects.toThrow(
      /^failed to parse flow: error when parsing the flow: strconv.Atoi: parsing "x": invalid syntax$/,
    );
  });
});
