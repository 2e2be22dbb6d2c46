// Decoding of `application/vnd.kubernetes.protobuf` request bodies. kubectl's typed `create` generators
// (`create namespace|configmap|secret|serviceaccount|deployment|service`) send protobuf and do not fall back to
// JSON, so the server must read them. Only the kinds and fields those generators set are declared (field
// numbers from k8s.io/api generated.proto). Go's generated marshallers also emit every non-pointer field with
// its zero value; such zero values are skipped, while a non-zero field outside the declared schema is refused
// with 415 rather than silently dropped.
import { ApiError } from "../errors.ts";
import type { JsonObject } from "../object.ts";

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Scalar = "string" | "bytes" | "int" | "bool";

/** A field: a scalar, a nested message, a map, or (with repeated) a list of either. */
type Field =
  /** keepZero: a pointer field in Go, where 0/false/"" is a real value (replicas: 0). */
  | { name: string; type: Scalar; repeated?: boolean; keepZero?: boolean }
  | { name: string; message: () => Message; repeated?: boolean }
  | { name: string; map: Scalar | (() => Message) };

type Message = Record<number, Field>;

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw unsupported("truncated varint");
      const b = this.buf[this.pos++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw unsupported("varint too long");
    }
  }

  fixed(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw unsupported("truncated field");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw unsupported("truncated field");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

function unsupported(why: string): ApiError {
  return new ApiError(
    415,
    "UnsupportedMediaType",
    `the protobuf body could not be decoded (${why}); send application/json instead`,
  );
}

/** Reads a value of an undeclared field and tells whether it is a zero value (recursively for messages). */
function skipZero(wire: number, r: Reader, depth = 0): boolean {
  switch (wire) {
    case 0:
      return r.varint() === 0n;
    case 1:
      return r.fixed(8).every((b) => b === 0);
    case 5:
      return r.fixed(4).every((b) => b === 0);
    case 2: {
      const b = r.bytes();
      if (b.length === 0) return true;
      if (depth > 16) return false;
      try {
        const inner = new Reader(b);
        while (!inner.done) {
          const key = Number(inner.varint());
          if (key >>> 3 === 0 || !skipZero(key & 7, inner, depth + 1)) return false;
        }
        return true;
      } catch {
        return false;
      }
    }
    default:
      return false;
  }
}

function isZero(v: unknown): boolean {
  return v === "" || v === 0 || v === false;
}

function scalar(type: Scalar, wire: number, r: Reader): unknown {
  if (type === "int" || type === "bool") {
    if (wire !== 0) throw unsupported(`wire type ${wire} for a ${type}`);
    const v = BigInt.asIntN(64, r.varint());
    return type === "bool" ? v !== 0n : Number(v);
  }
  if (wire !== 2) throw unsupported(`wire type ${wire} for ${type}`);
  const b = r.bytes();
  return type === "string" ? b.toString("utf8") : b.toString("base64");
}

function decodeMessage(buf: Buffer, schema: Message, path: string): JsonObject {
  const out: JsonObject = {};
  const r = new Reader(buf);
  while (!r.done) {
    const key = Number(r.varint());
    const num = key >>> 3;
    const wire = key & 7;
    const field = schema[num];
    if (!field) {
      if (!skipZero(wire, r)) throw unsupported(`field ${num} of ${path || "the object"} is not supported`);
      continue;
    }
    const at = path ? `${path}.${field.name}` : field.name;
    let value: unknown;
    if ("map" in field) {
      if (wire !== 2) throw unsupported(`wire type ${wire} for map ${at}`);
      const entry = new Reader(r.bytes());
      let k = "";
      let v: unknown = field.map === "string" || field.map === "bytes" ? "" : {};
      while (!entry.done) {
        const ek = Number(entry.varint());
        if (ek >>> 3 === 1) k = String(scalar("string", ek & 7, entry));
        else if (ek >>> 3 === 2) {
          v =
            typeof field.map === "function"
              ? decodeMessage(entry.bytes(), field.map(), `${at}[${k}]`)
              : scalar(field.map, ek & 7, entry);
        } else throw unsupported(`bad map entry in ${at}`);
      }
      const m = (out[field.name] ?? {}) as JsonObject;
      m[k] = v;
      out[field.name] = m;
      continue;
    }
    if ("message" in field) {
      if (wire !== 2) throw unsupported(`wire type ${wire} for ${at}`);
      value = decodeMessage(r.bytes(), field.message(), at);
    } else {
      value = scalar(field.type, wire, r);
      if (isZero(value) && !field.keepZero && !field.repeated) continue;
    }
    if (field.repeated) out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), value];
    else out[field.name] = value;
  }
  return out;
}

// ---- schemas (k8s.io/api, k8s.io/apimachinery generated.proto) ----

const time: Message = { 1: { name: "seconds", type: "int" }, 2: { name: "nanos", type: "int" } };
const objectMeta: Message = {
  1: { name: "name", type: "string" },
  2: { name: "generateName", type: "string" },
  3: { name: "namespace", type: "string" },
  8: { name: "creationTimestamp", message: () => time },
  11: { name: "labels", map: "string" },
  12: { name: "annotations", map: "string" },
  14: { name: "finalizers", type: "string", repeated: true },
};
const meta = { name: "metadata", message: () => objectMeta } as const;
const empty: Message = {};
const quantity: Message = { 1: { name: "string", type: "string" } };
const intOrString: Message = {
  1: { name: "type", type: "int" },
  2: { name: "intVal", type: "int" },
  3: { name: "strVal", type: "string" },
};
const labelSelector: Message = { 1: { name: "matchLabels", map: "string" } };
const localObjectReference: Message = { 1: { name: "name", type: "string" } };
const containerPort: Message = {
  1: { name: "name", type: "string" },
  2: { name: "hostPort", type: "int" },
  3: { name: "containerPort", type: "int" },
  4: { name: "protocol", type: "string" },
};
const container: Message = {
  1: { name: "name", type: "string" },
  2: { name: "image", type: "string" },
  3: { name: "command", type: "string", repeated: true },
  4: { name: "args", type: "string", repeated: true },
  6: { name: "ports", message: () => containerPort, repeated: true },
  8: {
    name: "resources",
    message: () => ({
      1: { name: "limits", map: () => quantity },
      2: { name: "requests", map: () => quantity },
    }),
  },
};
const podSpec: Message = { 2: { name: "containers", message: () => container, repeated: true } };
const podTemplate: Message = { 1: meta, 2: { name: "spec", message: () => podSpec } };
const servicePort: Message = {
  1: { name: "name", type: "string" },
  2: { name: "protocol", type: "string" },
  3: { name: "port", type: "int" },
  4: { name: "targetPort", message: () => intOrString },
  5: { name: "nodePort", type: "int" },
};

const KINDS: Record<string, Message> = {
  "v1/Namespace": {
    1: meta,
    2: { name: "spec", message: () => empty },
    3: { name: "status", message: () => empty },
  },
  "v1/ConfigMap": {
    1: meta,
    2: { name: "data", map: "string" },
    3: { name: "binaryData", map: "bytes" },
    4: { name: "immutable", type: "bool", keepZero: true },
  },
  "v1/Secret": {
    1: meta,
    2: { name: "data", map: "bytes" },
    3: { name: "type", type: "string" },
    4: { name: "stringData", map: "string" },
    5: { name: "immutable", type: "bool", keepZero: true },
  },
  "v1/ServiceAccount": {
    1: meta,
    3: { name: "imagePullSecrets", message: () => localObjectReference, repeated: true },
    4: { name: "automountServiceAccountToken", type: "bool", keepZero: true },
  },
  "v1/Service": {
    1: meta,
    2: {
      name: "spec",
      message: () => ({
        1: { name: "ports", message: () => servicePort, repeated: true },
        2: { name: "selector", map: "string" },
        3: { name: "clusterIP", type: "string" },
        4: { name: "type", type: "string" },
        10: { name: "externalName", type: "string" },
      }),
    },
    3: { name: "status", message: () => ({ 1: { name: "loadBalancer", message: () => empty } }) },
  },
  "apps/v1/Deployment": {
    1: meta,
    2: {
      name: "spec",
      message: () => ({
        1: { name: "replicas", type: "int", keepZero: true },
        2: { name: "selector", message: () => labelSelector },
        3: { name: "template", message: () => podTemplate },
        4: { name: "strategy", message: () => empty },
      }),
    },
    3: { name: "status", message: () => empty },
  },
};

/** Turns decoded protobuf-isms into their JSON forms (timestamps, int-or-string, quantities). */
function normalise(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x));
  if (typeof v !== "object" || v === null) return v;
  const o = v as JsonObject;
  if (key === "creationTimestamp") return undefined;
  if (key === "targetPort") {
    if (o.type === 1) return o.strVal;
    return o.intVal;
  }
  if (key === "limits" || key === "requests") {
    return Object.fromEntries(Object.entries(o).map(([k, q]) => [k, (q as JsonObject).string ?? "0"]));
  }
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(o)) {
    const n = normalise(x, k);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/** Decodes a `k8s\0`-prefixed runtime.Unknown envelope into a JSON object with apiVersion and kind. */
export function decodeProtobufObject(body: Buffer): JsonObject {
  if (!body.subarray(0, 4).equals(MAGIC)) throw unsupported("missing k8s protobuf prefix");
  const envelope = decodeMessage(
    body.subarray(4),
    {
      1: {
        name: "typeMeta",
        message: () => ({ 1: { name: "apiVersion", type: "string" }, 2: { name: "kind", type: "string" } }),
      },
      2: { name: "raw", type: "bytes" },
      3: { name: "contentEncoding", type: "string" },
      4: { name: "contentType", type: "string" },
    },
    "",
  );
  const typeMeta = (envelope.typeMeta ?? {}) as JsonObject;
  const apiVersion = String(typeMeta.apiVersion ?? "");
  const kind = String(typeMeta.kind ?? "");
  if (envelope.contentEncoding) throw unsupported(`content encoding ${String(envelope.contentEncoding)}`);
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) throw unsupported(`kind ${apiVersion}/${kind}`);
  const raw = Buffer.from(String(envelope.raw ?? ""), "base64");
  const object = normalise(decodeMessage(raw, schema, "")) as JsonObject;
  return { apiVersion, kind, ...object };
}
