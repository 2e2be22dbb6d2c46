import { describe, expect, it } from "vitest";
import { Pipeline } from "../pipeline/tables.ts";
import { DesiredState } from "./desired-state.ts";
import { FlowBuilder } from "./flow.ts";

const p = new Pipeline({ service: true, antreaPolicy: true, egress: true });
const b = new FlowBuilder(p, "PodConnectivity", 1);
const b2 = new FlowBuilder(p, "Service", 2);
const fA = b.flow("Classifier", 190, ["in_port=1"], ["goto_table:4"]);
const fB = b.flow("SpoofGuard", 200, ["ip", "in_port=1"], ["goto_table:5"]);

describe("desired flow state", () => {
  it("turns changes into bundle lines: groups first, deletions, additions, group deletions last", () => {
    const s = new DesiredState();
    const tx = s
      .begin()
      .setFlows("pod/a", [fA, fB])
      .setGroup({ id: 7, type: "select", buckets: ["drop"] });
    expect(tx.lines()).toEqual([
      "group add_or_mod group_id=7,type=select,bucket=bucket_id:0,weight:100,actions=drop",
      "flow add cookie=0x1010000000001,table=3,priority=190,in_port=1 actions=goto_table:4",
      "flow add cookie=0x1010000000001,table=4,priority=200,ip,in_port=1 actions=goto_table:5",
    ]);
    expect(s.flowCount).toBe(2);
    const tx2 = s.begin().setFlows("pod/a", [fB]).deleteGroup(7);
    expect(tx2.lines()).toEqual([
      "flow delete_strict table=3,priority=190,in_port=1",
      "group delete group_id=7",
    ]);
    expect(s.begin().setFlows("pod/a", [fB]).lines()).toEqual([]);
  });

  it("keeps a flow two owners need until the last one lets go", () => {
    const s = new DesiredState();
    const shared1 = b.flow("EndpointDNAT", 200, ["tcp", "reg3=0xa"], ["drop"]);
    const shared2 = b2.flow("EndpointDNAT", 200, ["tcp", "reg3=0xa"], ["drop"]);
    s.begin().setFlows("svc/1", [shared1]).lines();
    // same match from a second owner: installed once, with the newer owner's cookie
    expect(s.begin().setFlows("svc/2", [shared2]).lines()).toEqual([
      "flow add cookie=0x1030000000002,table=11,priority=200,tcp,reg3=0xa actions=drop",
    ]);
    expect(s.flowCount).toBe(1);
    // the first owner's version comes back when the second goes; the flow stays
    expect(s.begin().deleteFlows("svc/2").lines()).toEqual([
      "flow add cookie=0x1010000000001,table=11,priority=200,tcp,reg3=0xa actions=drop",
    ]);
    expect(s.begin().deleteFlows("svc/1").lines()).toEqual([
      "flow delete_strict table=11,priority=200,tcp,reg3=0xa",
    ]);
    expect(s.flowCount).toBe(0);
  });

  it("rolls a failed transaction back", () => {
    const s = new DesiredState();
    s.begin().setFlows("pod/a", [fA]);
    const tx = s
      .begin()
      .setFlows("pod/a", [fB])
      .setFlows("pod/b", [fA])
      .setGroup({ id: 1, type: "select", buckets: [] });
    tx.rollback();
    expect(s.flowsOf("pod/a")).toEqual([fA]);
    expect(s.flowsOf("pod/b")).toEqual([]);
    expect(s.groups()).toEqual([]);
    expect(s.flowCount).toBe(1);
  });
});
