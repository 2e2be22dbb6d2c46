// RFC 6902 JSON patch (`application/json-patch+json`): add, remove, replace, move, copy, test.
import { clone, deepEqual, isObject } from "../object.ts";

export class PatchError extends Error {
  override name = "PatchError";
}

type Container = Record<string, unknown> | unknown[];

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean): number {
  if (forAdd && token === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index ${JSON.stringify(token)}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index ${i} out of bounds`);
  return i;
}

/** Walks to the parent of the pointer's last token. */
function resolveParent(doc: unknown, tokens: string[]): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`path segment ${JSON.stringify(t)} not found`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError("parent is not a container");
  return { parent: cur, key: tokens[tokens.length - 1] ?? "" };
}

function getValue(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const t of parsePointer(pointer)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`path ${JSON.stringify(pointer)} not found`);
  }
  return cur;
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError("cannot remove the whole document");
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false), 1);
  else if (Object.hasOwn(parent, key)) delete parent[key];
  else throw new PatchError(`path ${JSON.stringify(pointer)} not found`);
  return doc;
}

export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError("a JSON patch must be an array of operations");
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw new PatchError("each operation needs string fields op and path");
    }
    const { op, path } = raw;
    const from = typeof raw.from === "string" ? raw.from : undefined;
    switch (op) {
      case "add":
        doc = add(doc, path, clone(raw.value));
        break;
      case "remove":
        doc = remove(doc, path);
        break;
      case "replace":
        getValue(doc, path);
        if (path === "") {
          doc = clone(raw.value);
          break;
        }
        doc = add(remove(doc, path), path, clone(raw.value));
        break;
      case "move": {
        if (from === undefined) throw new PatchError("move needs from");
        const v = getValue(doc, from);
        doc = add(remove(doc, from), path, v);
        break;
      }
      case "copy": {
        if (from === undefined) throw new PatchError("copy needs from");
        doc = add(doc, path, clone(getValue(doc, from)));
        break;
      }
      case "test":
        if (!deepEqual(getValue(doc, path), raw.value)) {
          throw new PatchError(`testing value ${path} failed`);
        }
        break;
      default:
        throw new PatchError(`unexpected operation ${JSON.stringify(op)}`);
    }
  }
  return doc;
}
