import { describe, expect, it } from "vitest";
import { PacketInParser } from "./packet-in.ts";

// Output of `ovs-ofctl -m --no-names monitor ... -P nxt_packet_in2` on a lab node while busybox (other Node)
// connected to nginx-1 under an ACNP Reject rule, with a port-status message and another packet-in around it.
const MONITOR_OUTPUT = `OFPT_PORT_STATUS (OF1.5) (xid=0x0): ADD: 3(web-0-1a2b3c): addr:0a:00:00:00:00:01
     config:     0
     state:      LIVE
NXT_PACKET_IN2 (OF1.5) (xid=0x0): table_id=23 cookie=0x1020000000003 total_len=74 ct_state=new|trk,ct_zone=65520,ct_nw_src=10.244.1.2,ct_nw_dst=10.244.2.2,ct_nw_proto=6,ct_tp_src=49138,ct_tp_dst=80,ip,reg0=0x201601,reg1=0x1,reg3=0x3,reg4=0x10000,tun_src=172.18.1.3,tun_dst=172.18.1.4,in_port=32768 (via action) data_len=74 (unbuffered)
 userdata=02.04
tcp,vlan_tci=0x0000,dl_src=0a:a2:7a:aa:8c:5c,dl_dst=86:bc:f9:00:cc:41,nw_src=10.244.1.2,nw_dst=10.244.2.2,nw_tos=0,nw_ecn=0,nw_ttl=62,nw_frag=no,tp_src=49138,tp_dst=80,tcp_flags=syn tcp_csum:8875
00000000  86 bc f9 00 cc 41 0a a2-7a aa 8c 5c 08 00 45 00
00000010  00 3c 01 72 40 00 3e 06-22 5f 0a f4 01 02 0a f4
00000020  02 02 bf f2 00 50 ee 31-09 27 00 00 00 00 a0 02
00000030  fd 5c 88 75 00 00 02 04-05 82 04 02 08 0a 34 31
00000040  bd a4 00 00 00 00 01 03-03 0a
NXT_PACKET_IN2 (OF1.5) (xid=0x0): cookie=0x0 total_len=54 reg3=0x5,in_port=CONTROLLER (via action) data_len=4 (unbuffered)
 userdata=6f.6c
tcp,vlan_tci=0x0000
00000000  0a 53 06 72`;

describe("packet-in parser", () => {
  it("reads the metadata, userdata and packet bytes of each packet-in, and skips other messages", () => {
    const parser = new PacketInParser();
    const seen = MONITOR_OUTPUT.split("\n").flatMap((line) => parser.line(line) ?? []);
    expect(seen).toHaveLength(2);
    const [reject, other] = seen;
    expect(reject!.userdata).toBe("02.04");
    expect(Object.fromEntries(reject!.fields)).toMatchObject({
      table_id: "23",
      in_port: "32768",
      tun_src: "172.18.1.3",
      ct_nw_dst: "10.244.2.2",
      ct_tp_dst: "80",
      reg3: "0x3",
      data_len: "74",
    });
    expect(reject!.packet).toHaveLength(74);
    expect(reject!.packet.subarray(0, 6).toString("hex")).toBe("86bcf900cc41");
    expect(reject!.packet.subarray(70).toString("hex")).toBe("0103030a");
    expect(other!.userdata).toBe("6f.6c");
    expect(other!.fields.get("in_port")).toBe("CONTROLLER");
    expect(other!.packet.toString("hex")).toBe("0a530672");
  });
});
