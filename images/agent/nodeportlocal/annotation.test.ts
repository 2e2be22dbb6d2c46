import { describe, expect, it } from "vitest";
import { formatNplAnnotation, parseNplAnnotation } from "./annotation.ts";

describe("NodePortLocal Pod annotation", () => {
  it("is Antrea's JSON, sorted by Pod port and protocol", () => {
    const text = formatNplAnnotation([
      { podPort: 8081, nodeIP: "172.18.0.3", nodePort: 61001, protocol: "udp", ipFamily: "IPv4" },
      { podPort: 8080, nodeIP: "172.18.0.3", nodePort: 61002, protocol: "tcp", ipFamily: "IPv4" },
    ]);
    expect(text).toBe(
      '[{"podPort":8080,"nodeIP":"172.18.0.3","nodePort":61002,"protocol":"tcp","ipFamily":"IPv4"},' +
        '{"podPort":8081,"nodeIP":"172.18.0.3","nodePort":61001,"protocol":"udp","ipFamily":"IPv4"}]',
    );
    expect(parseNplAnnotation(text)?.map((e) => e.nodePort)).toEqual([61002, 61001]);
  });

  it("reads what it can trust and nothing else", () => {
    expect(parseNplAnnotation(undefined)).toBeUndefined();
    expect(parseNplAnnotation("{")).toBeUndefined();
    expect(parseNplAnnotation('[{"podPort":"80"}]')).toBeUndefined();
    // Without ipFamily (older writers): IPv4.
    expect(
      parseNplAnnotation('[{"podPort":80,"nodeIP":"1.2.3.4","nodePort":61000,"protocol":"tcp"}]'),
    ).toEqual([{ podPort: 80, nodeIP: "1.2.3.4", nodePort: 61000, protocol: "tcp", ipFamily: "IPv4" }]);
  });
});
