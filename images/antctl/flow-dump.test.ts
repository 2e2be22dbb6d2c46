import { describe, expect, it } from "vitest";
import { flowExactMatch, flowParts, parseFlowDump } from "./flow-dump.ts";

// As `ovs-ofctl dump-flows br-int --names -O Openflow15` prints them on a node of the lab.
const DUMP = `OFPST_FLOW reply (OF1.5) (xid=0x2):
 cookie=0x1010000000000, duration=15.330s, table=Classifier, n_packets=0, n_bytes=0, idle_age=15, priority=210,ip,in_port="antrea-gw0",nw_src=10.244.1.1 actions=set_field:0x2/0xf->reg0,goto_table:SpoofGuard
 cookie=0x1010000000001, duration=6.346s, table=Classifier, n_packets=0, n_bytes=0, idle_age=6, priority=190,in_port="web-76077f" actions=set_field:0x3/0xf->reg0,goto_table:SpoofGuard
 cookie=0x1000000000000, duration=15.329s, table=Classifier, n_packets=0, n_bytes=0, idle_age=15, priority=0 actions=drop
`;

describe("flow dumps as antctl prints them", () => {
  it("drops the reply header and everything before ` table=` (cookie, duration), keeping the cookie aside", () => {
    const flows = parseFlowDump(DUMP);
    expect(flows.map((f) => f.line)).toEqual([
      'table=Classifier, n_packets=0, n_bytes=0, idle_age=15, priority=210,ip,in_port="antrea-gw0",nw_src=10.244.1.1 actions=set_field:0x2/0xf->reg0,goto_table:SpoofGuard',
      'table=Classifier, n_packets=0, n_bytes=0, idle_age=6, priority=190,in_port="web-76077f" actions=set_field:0x3/0xf->reg0,goto_table:SpoofGuard',
      "table=Classifier, n_packets=0, n_bytes=0, idle_age=15, priority=0 actions=drop",
    ]);
    expect(flows.map((f) => f.cookie)).toEqual(["0x1010000000000", "0x1010000000001", "0x1000000000000"]);
  });

  it("picks, among the flows a key selects, the one with no match field beyond the key's", () => {
    const [gwIp, pod, miss] = parseFlowDump(DUMP).map((f) => f.line);
    expect(flowExactMatch("table=3,in_port=5", pod!)).toBe(true);
    expect(flowExactMatch("table=3,in_port=5", gwIp!)).toBe(false); // has ip and nw_src too
    expect(flowExactMatch("table=3,ip,in_port=32769,nw_src=10.244.1.1", gwIp!)).toBe(true);
    expect(flowExactMatch("table=3,in_port=5", miss!)).toBe(true); // no match fields at all
  });

  it("splits a flow line into its match fields and actions", () => {
    const [gwIp, , miss] = parseFlowDump(DUMP).map((f) => f.line);
    expect(flowParts(gwIp!)).toEqual({
      match: ["ip", 'in_port="antrea-gw0"', "nw_src=10.244.1.1"],
      actions: "set_field:0x2/0xf->reg0,goto_table:SpoofGuard",
    });
    expect(flowParts(miss!)).toEqual({ match: [], actions: "drop" });
  });
});
