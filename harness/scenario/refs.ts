// The reference syntax of scenario files. An object is named KIND/[NAMESPACE/]NAME:
//   pod/NS/NAME, pod/NAME (the scenario's first namespace), service/NS/NAME, service/NAME, node/NAME, ext/NAME,
//   namespace/NS
// and a value of an object, resolved when the step runs, is written ${OBJECT.FIELD} inside any templated string:
//   ${pod/x/a.ip} ${pod/x/a.node} ${pod/x/a.nodeIP} ${service/x/web.clusterIP} ${node/worker.ip} ${ext/ext.ip}
//   ${namespace/x.name} (the real name of the scenario namespace x)
// Namespaces in references are the scenario's namespace names (see schema.ts: spec.namespaces); every `${` starts a
// reference. This module only parses; lab-context.ts resolves.
import { z } from "zod";

export type ObjectRef =
  | { kind: "pod" | "service"; namespace?: string; name: string }
  | { kind: "node" | "ext" | "namespace"; name: string };

export type RefKind = ObjectRef["kind"];

export const REF_FIELDS = {
  pod: ["ip", "node", "nodeIP"],
  service: ["clusterIP"],
  node: ["ip"],
  ext: ["ip"],
  namespace: ["name"],
} as const satisfies Record<RefKind, readonly string[]>;

export interface FieldRef {
  object: ObjectRef;
  field: string;
  /** As written, without `${` and `}`. */
  text: string;
}

/** A templated string: literal text and references, in order. */
export type Template = readonly (string | FieldRef)[];

const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const FORMS = "pod/NS/NAME, pod/NAME, service/NS/NAME, service/NAME, node/NAME, ext/NAME or namespace/NS";

/** Parses KIND/[NS/]NAME; returns an error message when `text` is not one. */
export function parseObjectRef(text: string): ObjectRef | string {
  const parts = text.split("/");
  const [kind, ...rest] = parts;
  const bad = `"${text}" is not an object reference (use ${FORMS})`;
  if (kind === "pod" || kind === "service") {
    if (rest.length === 1 && OBJECT_NAME.test(rest[0]!)) return { kind, name: rest[0]! };
    if (rest.length === 2 && LABEL.test(rest[0]!) && OBJECT_NAME.test(rest[1]!)) {
      return { kind, namespace: rest[0]!, name: rest[1]! };
    }
    return bad;
  }
  if (kind === "node" || kind === "ext" || kind === "namespace") {
    return rest.length === 1 && LABEL.test(rest[0]!) ? { kind, name: rest[0]! } : bad;
  }
  return bad;
}

/** Parses one `${...}` body: OBJECT.FIELD. */
export function parseFieldRef(text: string): FieldRef | string {
  const dot = text.lastIndexOf(".");
  if (dot === -1) return `bad reference "\${${text}}": missing .FIELD (e.g. \${pod/x/a.ip})`;
  const object = parseObjectRef(text.slice(0, dot));
  if (typeof object === "string") return `bad reference "\${${text}}": ${object}`;
  const field = text.slice(dot + 1);
  const fields: readonly string[] = REF_FIELDS[object.kind];
  if (!fields.includes(field)) {
    return `bad reference "\${${text}}": ${object.kind} has no field "${field}" (fields: ${fields.join(", ")})`;
  }
  return { object, field, text };
}

/** Splits a string into literal text and references; returns an error message on bad syntax. */
export function parseTemplate(text: string): Template | string {
  const parts: (string | FieldRef)[] = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf("${");
    if (start === -1) break;
    const end = rest.indexOf("}", start);
    if (end === -1) return `unterminated reference in "${text}" (missing "}")`;
    if (start > 0) parts.push(rest.slice(0, start));
    const ref = parseFieldRef(rest.slice(start + 2, end));
    if (typeof ref === "string") return ref;
    parts.push(ref);
    rest = rest.slice(end + 1);
  }
  if (rest) parts.push(rest);
  return parts;
}

function refine<T extends string | readonly string[]>(check: (text: string) => string | undefined) {
  return (value: T, ctx: z.RefinementCtx) => {
    const items: readonly string[] = typeof value === "string" ? [value] : value;
    items.forEach((item, i) => {
      const message = check(item);
      if (message) ctx.addIssue({ code: "custom", message, path: typeof value === "string" ? [] : [i] });
    });
  };
}

const templateProblem = (text: string): string | undefined => {
  const parsed = parseTemplate(text);
  return typeof parsed === "string" ? parsed : undefined;
};

/** A string that may hold ${...} references. */
export const TemplateString = z.string().superRefine(refine<string>(templateProblem));

/** One or more templated strings. */
export const TemplateList = z
  .union([z.string(), z.array(z.string())])
  .superRefine(refine<string | string[]>(templateProblem));

function targetProblem(allowed: readonly RefKind[], other: "template" | "none") {
  return (text: string): string | undefined => {
    if (isObjectForm(text)) {
      const ref = parseObjectRef(text);
      if (typeof ref === "string") return ref;
      return allowed.includes(ref.kind)
        ? undefined
        : `a ${ref.kind} cannot be used here (use ${allowed.map((k) => `${k}/...`).join(", ")})`;
    }
    if (other === "template") return templateProblem(text);
    return `"${text}" is not one of ${allowed.map((k) => `${k}/...`).join(", ")}`;
  };
}

/** Where a command runs: pod/NS/NAME, pod/NAME, node/NAME or ext/NAME. */
export const ExecTargetRef = z
  .string()
  .superRefine(refine<string>(targetProblem(["pod", "node", "ext"], "none")))
  .describe("pod/NS/NAME, pod/NAME, node/NAME or ext/NAME");

/** Where traffic goes: an object (pod/..., service/..., node/..., ext/...), an IP, or a templated string. */
export const EndpointRef = z
  .string()
  .superRefine(refine<string>(targetProblem(["pod", "service", "node", "ext"], "template")))
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
  .describe("pod/NS/NAME, service/NS/NAME, node/NAME, ext/NAME, an IP address or a ${...} reference");

/** A node: its name, or a reference that resolves to one (`${pod/x/a.node}`). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
export const NodeRef = TemplateString.describe("node name, or ${pod/NS/NAME.node}");

/** True when `text` is written as an object (KIND/...), false for IPs and templates. */
export function isObjectForm(text: string): boolean {
  return /^[a-z]+\//.test(text);
}
