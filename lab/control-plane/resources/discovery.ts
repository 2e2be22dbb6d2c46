// discovery.k8s.io/v1 EndpointSlice.
import { type FieldError, fieldErr } from "../errors.ts";
import { arr, isObject, type KubeObject, num, obj, str } from "../object.ts";
import { ageColumn, column } from "./columns.ts";
import { withMetadata } from "./patch-schemas.ts";
import { ALL_VERBS, type ResourceDef } from "./types.ts";
import { validateIP, validateProtocol } from "./validation.ts";

const ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"];

function portsCell(o: KubeObject): string {
  const ports = arr(o.ports).filter(isObject);
  return ports.length === 0 ? "<unset>" : ports.map((p) => String(num(p.port) ?? "")).join(",");
}

function endpointsCell(o: KubeObject): string {
  const addrs = arr(o.endpoints).flatMap((e) => arr(obj(e).addresses).map(String));
  if (addrs.length === 0) return "<unset>";
  return addrs.length > 3 ? `${addrs.slice(0, 3).join(",")} + ${addrs.length - 3} more...` : addrs.join(",");
}

export const endpointSlice: ResourceDef = {
  group: "discovery.k8s.io",
  version: "v1",
  kind: "EndpointSlice",
  plural: "endpointslices",
  singular: "endpointslice",
  shortNames: [],
  namespaced: true,
  categories: [],
  verbs: ALL_VERBS,
  statusSubresource: false,
  columns: [
    column("AddressType", (o) => str(o.addressType) ?? ""),
    column("Ports", portsCell),
    column("Endpoints", endpointsCell),
    ageColumn,
  ],
  patchSchema: withMetadata(),
  validate: (o) => {
    const errs: FieldError[] = [];
    if (!ADDRESS_TYPES.includes(String(o.addressType))) {
      errs.push(
        o.addressType === undefined
          ? fieldErr.required("addressType")
          : fieldErr.notSupported("addressType", o.addressType, ADDRESS_TYPES),
      );
    }
    arr(o.endpoints).forEach((e, i) => {
      const addresses = arr(obj(e).addresses);
      if (addresses.length === 0)
        errs.push(fieldErr.required(`endpoints[${i}].addresses`, "must contain at least 1 address"));
      if (o.addressType !== "FQDN") {
        addresses.forEach((a, j) => {
          errs.push(...validateIP(`endpoints[${i}].addresses[${j}]`, a));
        });
      }
    });
    arr(o.ports).forEach((p, i) => {
      errs.push(...validateProtocol(`ports[${i}].protocol`, obj(p).protocol));
    });
    return errs;
  },
};
