// Shapes of what plugins print on stdout (spec section 5): success, error and version results.
// Plugins are untrusted input, so their output is validated; unknown fields are kept because a result
// is passed on verbatim as the next plugin's prevResult.
import { z } from "zod";

const interfaceSchema = z.looseObject({
  name: z.string(),
  mac: z.string().optional(),
  sandbox: z.string().optional(),
});

const ipSchema = z.looseObject({
  address: z.string(),
  gateway: z.string().optional(),
  interface: z.number().int().nonnegative().optional(),
});

const routeSchema = z.looseObject({ dst: z.string(), gw: z.string().optional() });

const dnsSchema = z.looseObject({
  nameservers: z.array(z.string()).optional(),
  domain: z.string().optional(),
  search: z.array(z.string()).optional(),
  options: z.array(z.string()).optional(),
});

/** A success result (ADD). Fields are optional because IPAM-only and pre-0.3.0 results omit them. */
export const cniResultSchema = z.looseObject({
  cniVersion: z.string().optional(),
  interfaces: z.array(interfaceSchema).optional(),
  ips: z.array(ipSchema).optional(),
  routes: z.array(routeSchema).optional(),
  dns: dnsSchema.optional(),
});
export type CniResult = z.infer<typeof cniResultSchema>;

export const errorResultSchema = z.looseObject({
  cniVersion: z.string().optional(),
  code: z.number().int(),
  msg: z.string(),
  details: z.string().optional(),
});

export const versionResultSchema = z.looseObject({
  cniVersion: z.string(),
  supportedVersions: z.array(z.string()),
});
export type VersionResult = z.infer<typeof versionResultSchema>;
