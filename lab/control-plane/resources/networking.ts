// networking.k8s.io/v1 NetworkPolicy, and the port/peer checks shared with the Antrea policy kinds.
import { type FieldError, fieldErr } from "../errors.ts";
import { arr, isObject, type KubeObject, num, obj } from "../object.ts";
import { formatLabelSelector } from "../selectors.ts";
import { ageColumn, column } from "./columns.ts";
import { withMetadata } from "./patch-schemas.ts";
import { ALL_VERBS, type ResourceDef } from "./types.ts";
import {
  validateCIDR,
  validateLabelSelector,
  validatePortNumOrName,
  validateProtocol,
} from "./validation.ts";

/** Policy ports: protocol, numeric or named port, and `endPort >= port` with a numeric port. */
export function validatePolicyPorts(field: string, ports: unknown): FieldError[] {
  const errs: FieldError[] = [];
  arr(ports).forEach((p, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(p)) return;
    errs.push(...validateProtocol(`${at}.protocol`, p.protocol));
    if (p.port !== undefined) errs.push(...validatePortNumOrName(`${at}.port`, p.port));
    if (p.endPort !== undefined) {
      const end = num(p.endPort);
      if (typeof p.port !== "number") {
        errs.push(
          fieldErr.required(`${at}.port`, "must be specified when endPort is specified (and be a number)"),
        );
      } else if (end === undefined || end < p.port) {
        errs.push(fieldErr.invalid(`${at}.endPort`, p.endPort, "must be greater than or equal to port"));
      } else if (end > 65535) {
        errs.push(fieldErr.invalid(`${at}.endPort`, p.endPort, "must be between 1 and 65535, inclusive"));
      }
    }
  });
  return errs;
}

/** An ipBlock: a valid `cidr`, and each `except` a valid CIDR. */
export function validateIPBlock(field: string, block: unknown): FieldError[] {
  const b = obj(block);
  const errs = validateCIDR(`${field}.cidr`, b.cidr);
  arr(b.except).forEach((e, i) => {
    errs.push(...validateCIDR(`${field}.except[${i}]`, e));
  });
  return errs;
}

function validatePeers(field: string, peers: unknown): FieldError[] {
  const errs: FieldError[] = [];
  arr(peers).forEach((p, i) => {
    const at = `${field}[${i}]`;
    const peer = obj(p);
    const selectors = ["podSelector", "namespaceSelector"].filter((k) => peer[k] !== undefined);
    if (peer.ipBlock !== undefined) {
      if (selectors.length > 0) errs.push(fieldErr.forbidden(at, "may not specify more than 1 peer type"));
      errs.push(...validateIPBlock(`${at}.ipBlock`, peer.ipBlock));
    } else if (selectors.length === 0) {
      errs.push(fieldErr.required(at, "must specify a peer"));
    }
    for (const k of selectors) errs.push(...validateLabelSelector(`${at}.${k}`, peer[k]));
  });
  return errs;
}

function validateNetworkPolicy(o: KubeObject): FieldError[] {
  const spec = obj(o.spec);
  const errs = validateLabelSelector("spec.podSelector", spec.podSelector);
  arr(spec.ingress).forEach((r, i) => {
    errs.push(...validatePolicyPorts(`spec.ingress[${i}].ports`, obj(r).ports));
    errs.push(...validatePeers(`spec.ingress[${i}].from`, obj(r).from));
  });
  arr(spec.egress).forEach((r, i) => {
    errs.push(...validatePolicyPorts(`spec.egress[${i}].ports`, obj(r).ports));
    errs.push(...validatePeers(`spec.egress[${i}].to`, obj(r).to));
  });
  arr(spec.policyTypes).forEach((t, i) => {
    if (t !== "Ingress" && t !== "Egress")
      errs.push(fieldErr.notSupported(`spec.policyTypes[${i}]`, t, ["Ingress", "Egress"]));
  });
  return errs;
}

export const networkPolicy: ResourceDef = {
  group: "networking.k8s.io",
  version: "v1",
  kind: "NetworkPolicy",
  plural: "networkpolicies",
  singular: "networkpolicy",
  shortNames: ["netpol"],
  namespaced: true,
  categories: [],
  verbs: ALL_VERBS,
  statusSubresource: false,
  columns: [column("Pod-Selector", (o) => formatLabelSelector(obj(o.spec).podSelector)), ageColumn],
  patchSchema: withMetadata(),
  mutate: (o) => {
    const spec = obj(o.spec);
    o.spec = spec;
    spec.podSelector ??= {};
    for (const dir of ["ingress", "egress"]) {
      for (const r of arr(spec[dir]))
        for (const p of arr(obj(r).ports)) if (isObject(p)) p.protocol ??= "TCP";
    }
    if (spec.policyTypes === undefined) {
      spec.policyTypes = spec.egress === undefined ? ["Ingress"] : ["Ingress", "Egress"];
    }
    return undefined;
  },
  validate: validateNetworkPolicy,
};
