// Reusable validators (k8s.io/apimachinery/pkg/util/validation) producing field errors with Kubernetes' wording.
import { type FieldError, fieldErr } from "../errors.ts";
import { isCIDR, isIPAddress } from "../ip.ts";
import { arr, isObject, type KubeObject, str } from "../object.ts";
import { fromLabelSelectorObject } from "../selectors.ts";
import type { NameRule } from "./types.ts";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const NAME_MESSAGES: Record<NameRule, string> = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
};

export function nameProblem(name: string, rule: NameRule): string | undefined {
  const max = rule === "subdomain" ? 253 : 63;
  if (name.length > max) return `must be no more than ${max} characters`;
  const re = rule === "subdomain" ? DNS1123_SUBDOMAIN : rule === "label" ? DNS1123_LABEL : DNS1035_LABEL;
  return re.test(name) ? undefined : NAME_MESSAGES[rule];
}

export function validateName(field: string, name: unknown, rule: NameRule): FieldError[] {
  if (typeof name !== "string" || name === "") return [fieldErr.required(field)];
  const problem = nameProblem(name, rule);
  return problem ? [fieldErr.invalid(field, name, problem)] : [];
}

function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix === "" || nameProblem(prefix, "subdomain"))) {
    return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

export function validateLabels(field: string, labels: unknown): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isObject(labels)) return [fieldErr.invalid(field, labels, "must be a map of strings")];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(k);
    if (keyProblem) errs.push(fieldErr.invalid(field, k, keyProblem));
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
      errs.push(
        fieldErr.invalid(
          `${field}.${k}`,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  return errs;
}

/** Metadata checks common to every kind. */
export function validateObjectMeta(o: KubeObject, rule: NameRule): FieldError[] {
  const m = o.metadata;
  const errs: FieldError[] = [];
  if (!m.name) errs.push(fieldErr.required("metadata.name", "name or generateName is required"));
  else errs.push(...validateName("metadata.name", m.name, rule));
  errs.push(...validateLabels("metadata.labels", m.labels));
  if (m.annotations !== undefined && !isObject(m.annotations)) {
    errs.push(fieldErr.invalid("metadata.annotations", m.annotations, "must be a map of strings"));
  } else {
    for (const [k, v] of Object.entries(m.annotations ?? {})) {
      if (typeof v !== "string")
        errs.push(fieldErr.invalid(`metadata.annotations.${k}`, v, "must be a string"));
    }
  }
  if (
    m.finalizers !== undefined &&
    (!Array.isArray(m.finalizers) || m.finalizers.some((f) => typeof f !== "string"))
  ) {
    errs.push(fieldErr.invalid("metadata.finalizers", m.finalizers, "must be a list of strings"));
  }
  return errs;
}

export function validateCIDR(field: string, v: unknown): FieldError[] {
  if (v === undefined || v === null || v === "") return [fieldErr.required(field)];
  return isCIDR(v) ? [] : [fieldErr.invalid(field, v, "must be a valid CIDR (e.g. 10.0.0.0/24)")];
}

export function validateIP(field: string, v: unknown): FieldError[] {
  return isIPAddress(v)
    ? []
    : [fieldErr.invalid(field, v, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")];
}

export function validatePortNumber(field: string, v: unknown): FieldError[] {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535
    ? []
    : [fieldErr.invalid(field, v, "must be between 1 and 65535, inclusive")];
}

/** A port that may be a number or an IANA service name (`http`). */
export function validatePortNumOrName(field: string, v: unknown): FieldError[] {
  if (typeof v === "string") {
    return /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(v) && /[a-z]/.test(v)
      ? []
      : [
          fieldErr.invalid(
            field,
            v,
            "must contain at least one letter (a-z) and be no more than 15 characters",
          ),
        ];
  }
  return validatePortNumber(field, v);
}

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

export function validateProtocol(field: string, v: unknown): FieldError[] {
  if (v === undefined) return [];
  return PROTOCOLS.includes(v as (typeof PROTOCOLS)[number])
    ? []
    : [fieldErr.notSupported(field, v, PROTOCOLS)];
}

/** A metav1.LabelSelector object. */
export function validateLabelSelector(field: string, sel: unknown): FieldError[] {
  if (sel === undefined || sel === null) return [];
  if (fromLabelSelectorObject(sel) === undefined) {
    return [fieldErr.invalid(field, sel, "must be a valid label selector (matchLabels / matchExpressions)")];
  }
  const errs = validateLabels(`${field}.matchLabels`, isObject(sel) ? sel.matchLabels : undefined);
  arr(isObject(sel) ? sel.matchExpressions : undefined).forEach((e, i) => {
    const op = isObject(e) ? str(e.operator) : undefined;
    const values = isObject(e) ? arr(e.values) : [];
    if ((op === "In" || op === "NotIn") && values.length === 0) {
      errs.push(
        fieldErr.required(
          `${field}.matchExpressions[${i}].values`,
          "must be specified when `operator` is 'In' or 'NotIn'",
        ),
      );
    }
    if ((op === "Exists" || op === "DoesNotExist") && values.length > 0) {
      errs.push(
        fieldErr.forbidden(
          `${field}.matchExpressions[${i}].values`,
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
  });
  return errs;
}

/** Reports a field that changed on update although it may not. */
export function immutable(field: string, now: unknown, before: unknown): FieldError[] {
  return JSON.stringify(now) === JSON.stringify(before)
    ? []
    : [fieldErr.invalid(field, now, "field is immutable")];
}
