// Reads packet-ins from `ovs-ofctl -m monitor ... -P nxt_packet_in2` output, line by line. A message looks like
//   NXT_PACKET_IN2 (OF1.5) (xid=0x0): table_id=23 cookie=0x1020000000002 total_len=74 ct_state=new|trk,...,
//     reg0=0x1403,reg3=0x2,in_port=2 (via action) data_len=74 (unbuffered)
//    userdata=02.04
//   tcp,vlan_tci=0x0000,dl_src=...,tp_dst=80,tcp_flags=syn tcp_csum:1e33
//   00000000  0a 53 06 72 0d 0c 32 b0-66 d5 f6 53 08 00 45 00
//   ...
// and is complete once the hex dump holds data_len bytes. Other messages (port status, errors) are skipped.

export interface PacketIn {
  /** The metadata of the header line: table_id, in_port, regN, ct_state, ct_nw_dst, tun_src, ... */
  readonly fields: ReadonlyMap<string, string>;
  /** `userdata=` of the controller() action, as ovs-ofctl prints it (`02.04`). */
  readonly userdata?: string;
  /** The packet (as much as the action's max_len let through). */
  readonly packet: Buffer;
}

const MESSAGE = /^[A-Z][A-Z0-9_]+ \(/;
const PACKET_IN = /^(NXT_PACKET_IN2|OFPT_PACKET_IN) /;
const HEX_LINE = /^[0-9a-f]{8} {2}(.*)$/;

export class PacketInParser {
  private current?: { fields: Map<string, string>; userdata?: string; expected: number; bytes: number[] };

  /** Feeds one line; returns the packet-in that this line completes, if any. */
  line(text: string): PacketIn | undefined {
    if (MESSAGE.test(text)) {
      this.current = PACKET_IN.test(text) ? this.header(text) : undefined;
      return undefined;
    }
    const cur = this.current;
    if (!cur) return undefined;
    const userdata = /^\s+userdata=([0-9a-f.]+)/.exec(text);
    if (userdata) {
      cur.userdata = userdata[1]!;
      return undefined;
    }
    const hex = HEX_LINE.exec(text);
    if (!hex) return undefined;
    for (const byte of hex[1]!.match(/[0-9a-f]{2}/g) ?? []) cur.bytes.push(Number.parseInt(byte, 16));
    if (cur.bytes.length < cur.expected) return undefined;
    this.current = undefined;
    return {
      fields: cur.fields,
      ...(cur.userdata === undefined ? {} : { userdata: cur.userdata }),
      packet: Buffer.from(cur.bytes.slice(0, cur.expected)),
    };
  }

  private header(text: string) {
    const fields = new Map<string, string>();
    for (const token of text.slice(text.indexOf(":") + 1).split(/[\s,]+/)) {
      const eq = token.indexOf("=");
      if (eq > 0) fields.set(token.slice(0, eq), token.slice(eq + 1));
    }
    const expected = Number(fields.get("data_len") ?? fields.get("total_len") ?? 0);
    return { fields, expected, bytes: [] };
  }
}
