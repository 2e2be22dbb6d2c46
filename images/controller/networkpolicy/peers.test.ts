import { describe, expect, it } from "vitest";
import { cidrToIPNet, ipBlock, toServices } from "./peers.ts";

describe("peer conversions", () => {
  it("take the network address of a CIDR, as net.ParseCIDR does", () => {
    expect(cidrToIPNet("10.1.2.3/8")).toEqual({ ip: "10.0.0.0", prefixLength: 8 });
    expect(cidrToIPNet("192.168.1.77/32")).toEqual({ ip: "192.168.1.77", prefixLength: 32 });
    expect(cidrToIPNet("172.16.255.1/20")).toEqual({ ip: "172.16.240.0", prefixLength: 20 });
    expect(cidrToIPNet("0.0.0.0/0")).toEqual({ ip: "0.0.0.0", prefixLength: 0 });
    expect(cidrToIPNet("::/0")).toEqual({ ip: "::", prefixLength: 0 });
  });

  it("keep except CIDRs only when there are some", () => {
    expect(ipBlock("10.0.0.0/8")).toEqual({ cidr: { ip: "10.0.0.0", prefixLength: 8 } });
    expect(ipBlock("10.0.0.0/8", ["10.1.0.0/16"])).toEqual({
      cidr: { ip: "10.0.0.0", prefixLength: 8 },
      except: [{ ip: "10.1.0.0", prefixLength: 16 }],
    });
  });

  it("default the protocol to TCP and notice named ports", () => {
    expect(toServices(undefined)).toEqual({ services: undefined, namedPort: false });
    expect(toServices([{ port: 80 }, { protocol: "UDP", port: 1000, endPort: 2000 }])).toEqual({
      services: [
        { protocol: "TCP", port: 80 },
        { protocol: "UDP", port: 1000, endPort: 2000 },
      ],
      namedPort: false,
    });
    expect(toServices([{ port: "http" }]).namedPort).toBe(true);
  });
});
