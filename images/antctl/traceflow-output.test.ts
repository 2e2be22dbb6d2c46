import { describe, expect, it } from "vitest";
import { renderTraceflow, type TraceflowView } from "./traceflow-output.ts";

const succeeded: TraceflowView = {
  metadata: { name: "busybox0-to-busybox1-fpllngzi" },
  spec: {
    source: { namespace: "default", pod: "busybox0" },
    destination: { namespace: "default", pod: "busybox1" },
  },
  status: {
    phase: "Succeeded",
    startTime: "2020-08-03T06:20:05Z",
    dataplaneTag: 7,
    results: [
      {
        // Unknown fields and empty ones are not printed; known ones come in Antrea's struct order.
        timestamp: 1596435607,
        node: "antrea-linux-testbed7-1",
        role: "",
        extra: "dropped",
        observations: [
          { action: "Forwarded", component: "SpoofGuard", srcPodIP: "10.10.1.2", ttl: 0 },
          { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
        ],
      },
    ],
  },
};

describe("renderTraceflow", () => {
  it("prints YAML in the Response struct's order, as in Antrea's docs", () => {
    expect(renderTraceflow(succeeded, "yaml")).toBe(
      [
        "name: busybox0-to-busybox1-fpllngzi",
        "phase: Succeeded",
        "source: default/busybox0",
        "destination: default/busybox1",
        "results:",
        "- node: antrea-linux-testbed7-1",
        "  timestamp: 1596435607",
        "  observations:",
        "  - component: SpoofGuard",
        "    action: Forwarded",
        "    srcPodIP: 10.10.1.2",
        "  - component: Forwarding",
        "    componentInfo: Output",
        "    action: Delivered",
        "",
      ].join("\n"),
    );
  });

  it("prints JSON indented by two spaces, without a final newline, escaping as Go does", () => {
    const failed: TraceflowView = {
      metadata: { name: "client-to-web-xyz" },
      spec: {
        source: { namespace: "default", pod: "client" },
        destination: { namespace: "ns1", service: "web" },
      },
      status: { phase: "Failed", reason: "Node: n1, error: <timeout> & gone" },
    };
    const json = renderTraceflow(failed, "json");
    expect(json).toBe(
      [
        "{",
        '  "name": "client-to-web-xyz",',
        '  "phase": "Failed",',
        '  "reason": "Node: n1, error: \\u003ctimeout\\u003e \\u0026 gone",',
        '  "source": "default/client",',
        '  "destination": "ns1/web"',
        "}",
      ].join("\n"),
    );
    expect(JSON.parse(json).reason).toBe("Node: n1, error: <timeout> & gone");
  });

  it("prints what there is before the controller answers: name, source and destination", () => {
    const pending: TraceflowView = {
      metadata: { name: "client-to-10.0.0.5" },
      spec: { source: { namespace: "default", pod: "client" }, destination: { ip: "10.0.0.5" } },
    };
    expect(renderTraceflow(pending, "yaml")).toBe(
      "name: client-to-10.0.0.5\nsource: default/client\ndestination: 10.0.0.5\n",
    );
  });

  it("prints a captured packet with Antrea's YAML quirks, and plainly in JSON; source is / without a Pod", () => {
    const live: TraceflowView = {
      metadata: { name: "any-to-web-abc" },
      spec: { source: {}, destination: { namespace: "default", pod: "web" } },
      status: {
        phase: "Succeeded",
        capturedPacket: {
          srcIP: "10.10.2.3",
          dstIP: "10.10.1.2",
          length: 60,
          ipHeader: { protocol: 6, ttl: 64, flags: 2 },
          transportHeader: { tcp: { srcPort: 43210, dstPort: 80 } },
        },
      },
    };
    expect(renderTraceflow(live, "yaml")).toBe(
      [
        "name: any-to-web-abc",
        "phase: Succeeded",
        "source: /",
        "destination: default/web",
        "capturedPacket:",
        "  srcIP: 10.10.2.3",
        "  dstIP: 10.10.1.2",
        "  length: 60",
        "  ipHeader:",
        "    protocol: 6",
        "    ttl: 64",
        "    flags: 2",
        "  tranportHeader:",
        "    tcp:",
        "      srcport: 43210",
        "      dstport: 80",
        "      flags: null",
        "",
      ].join("\n"),
    );
    expect(JSON.parse(renderTraceflow(live, "json")).capturedPacket).toEqual({
      srcIP: "10.10.2.3",
      dstIP: "10.10.1.2",
      length: 60,
      ipHeader: { protocol: 6, ttl: 64, flags: 2 },
      transportHeader: { tcp: { srcPort: 43210, dstPort: 80 } },
    });
  });

  it("shows the IPv6 header instead of the IPv4 one, keeping nextHeader 0, and no empty transport header", () => {
    const v6: TraceflowView = {
      metadata: { name: "x" },
      spec: {},
      status: {
        capturedPacket: {
          srcIP: "fd00::1",
          dstIP: "fd00::2",
          ipHeader: { protocol: 6 },
          ipv6Header: { nextHeader: 0 },
          transportHeader: {},
        },
      },
    };
    expect(JSON.parse(renderTraceflow(v6, "json")).capturedPacket).toEqual({
      srcIP: "fd00::1",
      dstIP: "fd00::2",
      length: 0,
      ipv6Header: { nextHeader: 0 },
    });
  });

  it("refuses other output types with Antrea's message", () => {
    expect(() => renderTraceflow(succeeded, "table")).toThrow(/^output types should be yaml or json$/);
  });
});
