import { describe, expect, it } from "vitest";
import { cookie } from "./constants.ts";
import {
  ConnSourceCTMarkField,
  EgressRuleCTLabel,
  EndpointPortField,
  EpUnionField,
  FromGatewayCTMark,
  FromGatewayRegMark,
  FromTunnelRegMark,
  HairpinCTMark,
  IngressRuleCTLabel,
  loadCtLabel,
  loadCtMark,
  loadRegField,
  loadRegMark,
  matchCtMarks,
  matchRegField,
  matchRegMarks,
  moveRegFieldToCtMark,
  NotRewriteMACRegMark,
  OutputToOFPortRegMark,
  PktSourceField,
  RewriteMACRegMark,
  ServiceCTMark,
  TargetOFPortField,
} from "./fields.ts";
import { Pipeline } from "./tables.ts";

const ALL = { service: true, antreaPolicy: true, egress: true };

describe("pipeline", () => {
  it("numbers the tables as Antrea's stock configuration does (spec §1.2)", () => {
    const p = new Pipeline(ALL);
    expect(p.tables.map((t) => `${t.id} ${t.name}`)).toEqual(
      [
        "PipelineRootClassifier",
        "ARPSpoofGuard",
        "ARPResponder",
        "Classifier",
        "SpoofGuard",
        "UnSNAT",
        "ConntrackZone",
        "ConntrackState",
        "PreRoutingClassifier",
        "SessionAffinity",
        "ServiceLB",
        "EndpointDNAT",
        "AntreaPolicyEgressRule",
        "EgressRule",
        "EgressDefaultRule",
        "EgressMetric",
        "L3Forwarding",
        "EgressMark",
        "L3DecTTL",
        "SNATMark",
        "SNAT",
        "L2ForwardingCalc",
        "IngressSecurityClassifier",
        "AntreaPolicyIngressRule",
        "IngressRule",
        "IngressDefaultRule",
        "IngressMetric",
        "ConntrackCommit",
        "Output",
      ].map((name, i) => `${i} ${name}`),
    );
    expect(p.next("ARPSpoofGuard")).toBe("ARPResponder");
    expect(p.table("ARPResponder").next).toBeUndefined();
    expect(p.table("PipelineRootClassifier").next).toBeUndefined();
    expect(p.gotoNext("SpoofGuard")).toBe("goto_table:5");
    expect(p.resubmit("EndpointDNAT")).toBe("resubmit(,11)");
    expect(p.resolve("21")?.name).toBe("L2ForwardingCalc");
    expect(p.resolve("Output")?.id).toBe(28);
    expect(p.resolve("Nope")).toBeUndefined();
  });

  it("declares each table's miss: next table, drop, or Antrea's own miss actions", () => {
    const p = new Pipeline(ALL);
    expect(p.missActions("UnSNAT")).toEqual(["goto_table:6"]);
    expect(p.missActions("Classifier")).toEqual(["drop"]);
    expect(p.missActions("ARPResponder")).toEqual(["drop"]);
    expect(p.missActions("Output")).toEqual(["drop"]);
    expect(p.missActions("SessionAffinity")).toEqual(["set_field:0x10000/0x70000->reg4"]);
    expect(p.missActions("L3Forwarding")).toEqual(["set_field:0x20/0xf0->reg0", "goto_table:21"]);
    expect(p.missActions("EgressMark")).toEqual(["set_field:0x20/0xf0->reg0", "goto_table:21"]);
  });

  it("counts only enabled tables: without AntreaProxy and Egress the numbers shift", () => {
    const p = new Pipeline({ service: false, antreaPolicy: false, egress: false });
    expect(p.has("ServiceLB")).toBe(false);
    expect(p.has("EgressMark")).toBe(false);
    expect(p.id("Classifier")).toBe(3);
    expect(p.next("SpoofGuard")).toBe("ConntrackZone");
    expect(p.next("ConntrackState")).toBe("EgressRule");
    expect(p.id("Output")).toBe(p.tables.length - 1);
    expect(() => p.id("ServiceLB")).toThrow(/feature disabled/);
  });
});

describe("register and ct_mark rendering", () => {
  it("renders marks and fields the way ovs-ofctl prints Antrea's flows", () => {
    expect(loadRegMark(FromGatewayRegMark)).toBe("set_field:0x2/0xf->reg0");
    expect(loadRegMark(RewriteMACRegMark)).toBe("set_field:0x200/0x200->reg0");
    expect(loadRegMark(OutputToOFPortRegMark)).toBe("set_field:0x200000/0x600000->reg0");
    expect(loadRegField(TargetOFPortField, 0x26)).toBe("set_field:0x26->reg1");
    expect(loadRegField(EndpointPortField, 80)).toBe("set_field:0x50/0xffff->reg4");
    expect(matchRegMarks(NotRewriteMACRegMark)).toBe("reg0=0/0x200");
    expect(matchRegMarks(RewriteMACRegMark, FromGatewayRegMark)).toBe("reg0=0x202/0x20f");
    expect(matchRegMarks(FromTunnelRegMark)).toBe("reg0=0x1/0xf");
    expect(matchRegField(EpUnionField, 0x20050)).toBe("reg4=0x20050/0x7ffff");
    expect(matchCtMarks(ServiceCTMark)).toBe("ct_mark=0x10/0x10");
    expect(matchCtMarks(FromGatewayCTMark)).toBe("ct_mark=0x2/0xf");
    expect(loadCtMark(HairpinCTMark)).toBe("set_field:0x40/0x40->ct_mark");
    expect(moveRegFieldToCtMark(PktSourceField, ConnSourceCTMarkField)).toBe(
      "move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]",
    );
    expect(loadCtLabel(IngressRuleCTLabel, 3)).toBe("set_field:0x3/0xffffffff->ct_label");
    expect(loadCtLabel(EgressRuleCTLabel, 2)).toBe("set_field:0x200000000/0xffffffff00000000->ct_label");
  });

  it("refuses values that do not fit their field", () => {
    expect(() => loadRegField(EndpointPortField, 70000)).toThrow(/does not fit/);
    expect(() => matchRegField(TargetOFPortField, -1)).toThrow(/does not fit/);
  });

  it("lays cookies out as round | category | object id", () => {
    expect(cookie("Default")).toBe(0x1000000000000n);
    expect(cookie("Service", 10)).toBe(0x103000000000an);
    expect(() => cookie("Service", 2 ** 32)).toThrow(RangeError);
  });
});
