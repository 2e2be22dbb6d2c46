// Kubernetes-shaped failures. Every layer (storage, admission, HTTP) throws ApiError so the server can always
// answer with a `Status` body that kubectl and client-node print the way a real cluster's errors look.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toStatus(): Status {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** A group-qualified resource, printed the way Kubernetes prints it in messages: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  plural: string;
}

export function groupResourceString(gr: GroupResource): string {
  return gr.group ? `${gr.plural}.${gr.group}` : gr.plural;
}

function resourceDetails(gr: GroupResource, name: string): StatusDetails {
  return { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.plural };
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    404,
    "NotFound",
    `${groupResourceString(gr)} "${name}" not found`,
    resourceDetails(gr, name),
  );
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    409,
    "AlreadyExists",
    `${groupResourceString(gr)} "${name}" already exists`,
    resourceDetails(gr, name),
  );
}

export function conflict(gr: GroupResource, name: string, why: string): ApiError {
  return new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${groupResourceString(gr)} "${name}": ${why}`,
    resourceDetails(gr, name),
  );
}

export const STALE_OBJECT =
  "the object has been modified; please apply your changes to the latest version and try again";

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

export function forbidden(gr: GroupResource, name: string, why: string): ApiError {
  return new ApiError(
    403,
    "Forbidden",
    `${groupResourceString(gr)} "${name}" is forbidden: ${why}`,
    resourceDetails(gr, name),
  );
}

export function expired(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, "InternalError", `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

// ---- field errors (k8s.io/apimachinery/pkg/util/validation/field) ----

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueNotFound"
  | "FieldValueTooLong";

export interface FieldError {
  type: FieldErrorType;
  field: string;
  badValue?: unknown;
  detail?: string;
}

export const fieldErr = {
  required: (field: string, detail?: string): FieldError => ({ type: "FieldValueRequired", field, detail }),
  invalid: (field: string, badValue: unknown, detail?: string): FieldError => ({
    type: "FieldValueInvalid",
    field,
    badValue,
    detail,
  }),
  notSupported: (field: string, badValue: unknown, supported: readonly string[]): FieldError => ({
    type: "FieldValueNotSupported",
    field,
    badValue,
    detail: `supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
  }),
  duplicate: (field: string, badValue: unknown): FieldError => ({
    type: "FieldValueDuplicate",
    field,
    badValue,
  }),
  forbidden: (field: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field, detail }),
  notFound: (field: string, badValue: unknown): FieldError => ({
    type: "FieldValueNotFound",
    field,
    badValue,
  }),
};

function formatValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined || v === null) return "null";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** The text after `field: `, exactly as Kubernetes words it. */
function fieldErrorBody(e: FieldError): string {
  const tail = e.detail ? `: ${e.detail}` : "";
  switch (e.type) {
    case "FieldValueRequired":
      return `Required value${tail}`;
    case "FieldValueInvalid":
      return `Invalid value: ${formatValue(e.badValue)}${tail}`;
    case "FieldValueNotSupported":
      return `Unsupported value: ${formatValue(e.badValue)}${tail}`;
    case "FieldValueDuplicate":
      return `Duplicate value: ${formatValue(e.badValue)}`;
    case "FieldValueForbidden":
      return `Forbidden${tail}`;
    case "FieldValueNotFound":
      return `Not found: ${formatValue(e.badValue)}`;
    case "FieldValueTooLong":
      return `Too long${tail}`;
  }
}

export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** 422 Invalid, worded like `Pod "x" is invalid: spec.containers: Required value`. */
export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): ApiError {
  const parts = errors.map(formatFieldError);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return new ApiError(422, "Invalid", `${kind} "${name}" is invalid: ${summary}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}
