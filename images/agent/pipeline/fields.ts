// Antrea's register / ct_mark / ct_label layout (docs/design/ovs-pipeline.md "OVS Registers", spec §1.3) as named
// fields, and the one place that renders them into ovs-ofctl text (`set_field:0x2/0xf->reg0`, `reg0=0x2/0xf`).
// Every other module refers to fields and marks by name; no bit number appears anywhere else.

/** Bits `start..end` (inclusive) of register `reg` (NXM_NX_REG<reg>). */
export interface RegField {
  readonly name: string;
  readonly reg: number;
  readonly start: number;
  readonly end: number;
}

/** A named value of a register field. */
export interface RegMark {
  readonly name: string;
  readonly field: RegField;
  readonly value: number;
}

const regField = (name: string, reg: number, start: number, end: number): RegField => ({
  name,
  reg,
  start,
  end,
});
const regMark = (name: string, field: RegField, value: number): RegMark => ({ name, field, value });
const bit = (name: string, reg: number, n: number) => regField(name, reg, n, n);

// reg0: packet source / destination, MAC rewrite, policy disposition, output method
export const PktSourceField = regField("PktSourceField", 0, 0, 3);
export const FromTunnelRegMark = regMark("FromTunnelRegMark", PktSourceField, 1);
export const FromGatewayRegMark = regMark("FromGatewayRegMark", PktSourceField, 2);
export const FromPodRegMark = regMark("FromPodRegMark", PktSourceField, 3);
export const FromUplinkRegMark = regMark("FromUplinkRegMark", PktSourceField, 4);
export const FromBridgeRegMark = regMark("FromBridgeRegMark", PktSourceField, 5);
export const FromTCReturnRegMark = regMark("FromTCReturnRegMark", PktSourceField, 6);

export const PktDestinationField = regField("PktDestinationField", 0, 4, 7);
export const ToTunnelRegMark = regMark("ToTunnelRegMark", PktDestinationField, 1);
export const ToGatewayRegMark = regMark("ToGatewayRegMark", PktDestinationField, 2);
export const ToLocalRegMark = regMark("ToLocalRegMark", PktDestinationField, 3);
export const ToUplinkRegMark = regMark("ToUplinkRegMark", PktDestinationField, 4);
export const ToBridgeRegMark = regMark("ToBridgeRegMark", PktDestinationField, 5);

const RewriteMACField = bit("RewriteMACField", 0, 9);
export const NotRewriteMACRegMark = regMark("NotRewriteMACRegMark", RewriteMACField, 0);
export const RewriteMACRegMark = regMark("RewriteMACRegMark", RewriteMACField, 1);
export const APDenyRegMark = regMark("APDenyRegMark", bit("APDenyField", 0, 10), 1);
export const APDispositionField = regField("APDispositionField", 0, 11, 12);
export const DispositionAllowRegMark = regMark("DispositionAllowRegMark", APDispositionField, 0);
export const DispositionDropRegMark = regMark("DispositionDropRegMark", APDispositionField, 1);
export const DispositionRejectRegMark = regMark("DispositionRejectRegMark", APDispositionField, 2);
export const DispositionPassRegMark = regMark("DispositionPassRegMark", APDispositionField, 3);
export const GeneratedRejectPacketOutRegMark = regMark(
  "GeneratedRejectPacketOutRegMark",
  bit("GeneratedRejectPacketOutField", 0, 13),
  1,
);
export const SvcNoEpRegMark = regMark("SvcNoEpRegMark", bit("SvcNoEpField", 0, 14), 1);
export const RemoteSNATRegMark = regMark("RemoteSNATRegMark", bit("RemoteSNATField", 0, 19), 1);
export const OutputRegField = regField("OutputRegField", 0, 21, 22);
export const OutputToOFPortRegMark = regMark("OutputToOFPortRegMark", OutputRegField, 1);
export const OutputToControllerRegMark = regMark("OutputToControllerRegMark", OutputRegField, 2);
/** Antrea documents bits 25-32; a register has 32 bits, and its flows mask 0xfe000000, i.e. 25..31. */
export const PacketInOperationField = regField("PacketInOperationField", 0, 25, 31);

// reg1..reg9
export const TargetOFPortField = regField("TargetOFPortField", 1, 0, 31);
export const SwapField = regField("SwapField", 2, 0, 31);
export const PacketInTableField = regField("PacketInTableField", 2, 0, 7);
export const EndpointIPField = regField("EndpointIPField", 3, 0, 31);
export const APConjIDField = regField("APConjIDField", 3, 0, 31);
export const EndpointPortField = regField("EndpointPortField", 4, 0, 15);
export const ServiceEPStateField = regField("ServiceEPStateField", 4, 16, 18);
export const EpToSelectRegMark = regMark("EpToSelectRegMark", ServiceEPStateField, 1);
export const EpSelectedRegMark = regMark("EpSelectedRegMark", ServiceEPStateField, 2);
export const EpToLearnRegMark = regMark("EpToLearnRegMark", ServiceEPStateField, 3);
/** EndpointPortField and ServiceEPStateField together: "this Endpoint port, selected". */
export const EpUnionField = regField("EpUnionField", 4, 0, 18);
export const ToNodePortAddressRegMark = regMark(
  "ToNodePortAddressRegMark",
  bit("NodePortAddressField", 4, 19),
  1,
);
export const AntreaFlexibleIPAMField = bit("AntreaFlexibleIPAMField", 4, 20);
export const NotAntreaFlexibleIPAMRegMark = regMark(
  "NotAntreaFlexibleIPAMRegMark",
  AntreaFlexibleIPAMField,
  0,
);
export const ToExternalAddressRegMark = regMark(
  "ToExternalAddressRegMark",
  bit("ExternalAddressField", 4, 21),
  1,
);
export const RemoteEndpointRegMark = regMark("RemoteEndpointRegMark", bit("RemoteEndpointField", 4, 26), 1);
export const FromExternalRegMark = regMark("FromExternalRegMark", bit("FromExternalField", 4, 27), 1);
export const FromLocalRegMark = regMark("FromLocalRegMark", bit("FromLocalField", 4, 28), 1);
export const TFEgressConjIDField = regField("TFEgressConjIDField", 5, 0, 31);
export const TFIngressConjIDField = regField("TFIngressConjIDField", 6, 0, 31);
export const ServiceGroupIDField = regField("ServiceGroupIDField", 7, 0, 31);
export const TrafficControlTargetOFPortField = regField("TrafficControlTargetOFPortField", 9, 0, 31);

// ct_mark (bits of the connection's mark, in the CT zone the packet was last tracked in)
export interface CtMarkField {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}
export interface CtMark {
  readonly name: string;
  readonly field: CtMarkField;
  readonly value: number;
}
const ctMarkField = (name: string, start: number, end: number): CtMarkField => ({ name, start, end });
const ctMark = (name: string, field: CtMarkField, value: number): CtMark => ({ name, field, value });

export const ConnSourceCTMarkField = ctMarkField("ConnSourceCTMarkField", 0, 3);
export const FromGatewayCTMark = ctMark("FromGatewayCTMark", ConnSourceCTMarkField, 2);
export const FromBridgeCTMark = ctMark("FromBridgeCTMark", ConnSourceCTMarkField, 5);
const ServiceCTMarkField = ctMarkField("ServiceCTMarkField", 4, 4);
export const ServiceCTMark = ctMark("ServiceCTMark", ServiceCTMarkField, 1);
export const NotServiceCTMark = ctMark("NotServiceCTMark", ServiceCTMarkField, 0);
export const ConnSNATCTMark = ctMark("ConnSNATCTMark", ctMarkField("ConnSNATCTMarkField", 5, 5), 1);
export const HairpinCTMark = ctMark("HairpinCTMark", ctMarkField("HairpinCTMarkField", 6, 6), 1);
export const L7NPRedirectCTMark = ctMark("L7NPRedirectCTMark", ctMarkField("L7NPRedirectField", 7, 7), 1);

/** ct_label halves: the conj_id of the ingress / egress rule that allowed the connection. */
export interface CtLabelField {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}
export const IngressRuleCTLabel: CtLabelField = { name: "IngressRuleCTLabel", start: 0, end: 31 };
export const EgressRuleCTLabel: CtLabelField = { name: "EgressRuleCTLabel", start: 32, end: 63 };

// ---- rendering ----

const hex = (n: bigint) => `0x${n.toString(16)}`;

function bits(start: number, end: number): { mask: bigint; shift: bigint } {
  const width = BigInt(end - start + 1);
  return { mask: ((1n << width) - 1n) << BigInt(start), shift: BigInt(start) };
}

function checkFits(name: string, value: number | bigint, start: number, end: number): bigint {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(end - start + 1)) {
    throw new RangeError(`${name}: value ${value} does not fit in bits ${start}..${end}`);
  }
  return v;
}

/** `value/mask` for a field of a 32-bit register; the mask is left out when the field is the whole register. */
function regValue(f: RegField, value: number | bigint): string {
  const v = checkFits(f.name, value, f.start, f.end);
  const { mask, shift } = bits(f.start, f.end);
  return f.start === 0 && f.end === 31 ? hex(v) : `${v === 0n ? "0" : hex(v << shift)}/${hex(mask)}`;
}

/** `set_field:0x26->reg1`, `set_field:0x50/0xffff->reg4`. */
export function loadRegField(f: RegField, value: number | bigint): string {
  return `set_field:${regValue(f, value)}->reg${f.reg}`;
}

/** `set_field:0x2/0xf->reg0`. */
export function loadRegMark(m: RegMark): string {
  return loadRegField(m.field, m.value);
}

/** `reg1=0x26`, `reg4=0x20050/0x7ffff`. */
export function matchRegField(f: RegField, value: number | bigint): string {
  return `reg${f.reg}=${regValue(f, value)}`;
}

/** Matches on marks; marks of the same register are merged into one match (`reg0=0x202/0x20f`), as Antrea does. */
export function matchRegMarks(...marks: RegMark[]): string {
  const byReg = new Map<number, { value: bigint; mask: bigint }>();
  for (const m of marks) {
    const v = checkFits(m.name, m.value, m.field.start, m.field.end);
    const { mask, shift } = bits(m.field.start, m.field.end);
    const cur = byReg.get(m.field.reg) ?? { value: 0n, mask: 0n };
    byReg.set(m.field.reg, { value: cur.value | (v << shift), mask: cur.mask | mask });
  }
  return [...byReg.entries()]
    .map(([reg, { value, mask }]) => `reg${reg}=${value === 0n ? "0" : hex(value)}/${hex(mask)}`)
    .join(",");
}

/** A field's value out of its register's whole value, as packet-in metadata shows it (`reg0=0x200023`). */
export function readRegField(f: RegField, registerValue: bigint): bigint {
  const { mask, shift } = bits(f.start, f.end);
  return (registerValue & mask) >> shift;
}

/** `NXM_NX_REG0[0..3]`, for move actions. */
export function nxmRegField(f: RegField): string {
  return `NXM_NX_REG${f.reg}[${f.start}..${f.end}]`;
}

function ctMarkValue(marks: CtMark[]): string {
  let value = 0n;
  let mask = 0n;
  for (const m of marks) {
    const v = checkFits(m.name, m.value, m.field.start, m.field.end);
    const b = bits(m.field.start, m.field.end);
    value |= v << b.shift;
    mask |= b.mask;
  }
  return `${value === 0n ? "0" : hex(value)}/${hex(mask)}`;
}

/** `ct_mark=0x10/0x10`. */
export function matchCtMarks(...marks: CtMark[]): string {
  return `ct_mark=${ctMarkValue(marks)}`;
}

/** `set_field:0x10/0x10->ct_mark` (inside `ct(commit,exec(...))`). */
export function loadCtMark(m: CtMark): string {
  return `set_field:${ctMarkValue([m])}->ct_mark`;
}

/** `move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]`: remembers a register field in the connection's mark. */
export function moveRegFieldToCtMark(from: RegField, to: CtMarkField): string {
  return `move:${nxmRegField(from)}->NXM_NX_CT_MARK[${to.start}..${to.end}]`;
}

/** `set_field:0x200000000/0xffffffff00000000->ct_label` (inside `ct(commit,exec(...))`). */
export function loadCtLabel(f: CtLabelField, value: number | bigint): string {
  const v = checkFits(f.name, value, f.start, f.end);
  const { mask, shift } = bits(f.start, f.end);
  return `set_field:${hex(v << shift)}/${hex(mask)}->ct_label`;
}
