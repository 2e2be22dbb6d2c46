import { describe, expect, it } from "vitest";
import { hostVethName } from "./interface-name.ts";

describe("host veth name (Antrea's GenerateContainerHostVethName)", () => {
  it("is 8 characters of the Pod name, '-', and 6 hex of sha1(container id)", () => {
    // printf '%s' abc123 | sha1sum -> 6367c4...
    expect(hostVethName("web-7975b7d9c4-xk2p9", "abc123")).toBe("web-7975-6367c4");
    expect(hostVethName("db", "abc123")).toBe("db-6367c4");
    // a secondary interface hashes container id + ifname (printf '%s' abc123net1 | sha1sum -> e7015c...)
    expect(hostVethName("web-7975b7d9c4-xk2p9", "abc123", "net1")).toBe("web-7975-e7015c");
  });

  it("stays within the 15 characters of an interface name", () => {
    expect(hostVethName("a".repeat(63), "x".repeat(64))).toMatch(/^a{8}-[0-9a-f]{6}$/);
  });
});
