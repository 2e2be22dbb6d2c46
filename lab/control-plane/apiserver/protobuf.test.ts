import { describe, expect, it } from "vitest";
import { ApiError } from "../errors.ts";
import { decodeProtobufObject } from "./protobuf.ts";

// Minimal protobuf encoder for building test envelopes.
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  do {
    out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  return out;
}
const tag = (num: number, wire: number) => varint((num << 3) | wire);
const bytesField = (num: number, b: number[] | Buffer) => [...tag(num, 2), ...varint(b.length), ...b];
const str = (num: number, s: string) => bytesField(num, Buffer.from(s));
const int = (num: number, n: number) => [...tag(num, 0), ...varint(n)];
const mapEntry = (num: number, k: string, v: string) => bytesField(num, [...str(1, k), ...str(2, v)]);

function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  const typeMeta = [...str(1, apiVersion), ...str(2, kind)];
  return Buffer.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...bytesField(1, typeMeta),
    ...bytesField(2, raw),
    ...str(3, ""),
    ...str(4, ""),
  ]);
}

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
  return undefined;
}

describe("protobuf request bodies", () => {
  it("decodes a ConfigMap, skipping the zero values Go marshals for unset fields", () => {
    const meta = [
      ...str(1, "cfg"),
      ...str(4, ""),
      ...int(7, 0),
      ...bytesField(8, []),
      ...mapEntry(11, "app", "x"),
    ];
    const raw = [...bytesField(1, meta), ...mapEntry(2, "k", "v"), ...mapEntry(2, "k2", "v2")];
    expect(decodeProtobufObject(envelope("v1", "ConfigMap", raw))).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cfg", labels: { app: "x" } },
      data: { k: "v", k2: "v2" },
    });
  });

  it("keeps zero values of pointer fields and decodes nested lists and int-or-string", () => {
    const container = [
      ...str(1, "c"),
      ...str(2, "img"),
      ...str(3, "sleep"),
      ...str(3, "1"),
      ...bytesField(6, int(3, 80)),
    ];
    const template = [...bytesField(2, bytesField(2, container))];
    const spec = [...int(1, 0), ...bytesField(3, template), ...bytesField(4, str(1, ""))];
    const dep = decodeProtobufObject(
      envelope("apps/v1", "Deployment", [...bytesField(1, str(1, "d")), ...bytesField(2, spec)]),
    );
    expect(dep.spec).toEqual({
      replicas: 0,
      template: {
        spec: {
          containers: [{ name: "c", image: "img", command: ["sleep", "1"], ports: [{ containerPort: 80 }] }],
        },
      },
      strategy: {},
    });
    const port = [...int(3, 80), ...bytesField(4, [...int(1, 1), ...str(3, "http")])];
    const svc = decodeProtobufObject(envelope("v1", "Service", [...bytesField(2, bytesField(1, port))]));
    expect(svc.spec).toEqual({ ports: [{ port: 80, targetPort: "http" }] });
  });

  it("refuses unknown kinds, set fields outside the schema, and malformed envelopes with 415", () => {
    expect(code(() => decodeProtobufObject(envelope("batch/v1", "Job", [])))).toBe(415);
    expect(
      code(() => decodeProtobufObject(envelope("v1", "ConfigMap", bytesField(1, str(5, "some-uid"))))),
    ).toBe(415);
    expect(code(() => decodeProtobufObject(Buffer.from("{}")))).toBe(415);
    expect(code(() => decodeProtobufObject(envelope("v1", "ConfigMap", [0x0a, 0x05, 0x01])))).toBe(415);
  });
});
