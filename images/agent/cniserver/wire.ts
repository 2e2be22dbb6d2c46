// Wire format between the antrea CNI plugin (images/cni/bin/antrea) and the agent's CNI server, over the unix
// socket ANTREA_CNI_SOCKET (default /var/run/antrea/cni.sock). One request per connection: the plugin writes one
// JSON object and half-closes its side; the server answers one JSON object and closes. Field names mirror Antrea's
// gRPC messages (pkg/apis/cni/v1beta1/cni.proto: CniCmdRequest, CniCmdResponse) so the two read alike:
//
//   request  {"method": "CmdAdd" | "CmdCheck" | "CmdDel" | "CmdStatus",
//             "cni_args": {"container_id": CNI_CONTAINERID, "netns": CNI_NETNS, "ifname": CNI_IFNAME,
//                          "args": CNI_ARGS, "path": CNI_PATH, "network_configuration": <stdin, as text>}}
//             (unset variables are sent as "")
//   response {"cni_result": <the result JSON as text; "" for CHECK, DEL and STATUS>}
//          | {"error": {"code": <CNI error code, errors.ts>, "message": "...", "details"?: "..."}}
//
// The plugin prints cni_result verbatim, or turns `error` into the spec's error result
// {cniVersion, code, msg, details}. A method the server does not know is answered with code 202, as Antrea answers
// gRPC Unimplemented. The plugin is plain JavaScript (to start fast), so it restates this format rather than
// importing it.
import { z } from "zod";

export const CNI_METHODS = ["CmdAdd", "CmdCheck", "CmdDel", "CmdStatus"] as const;
export type CniMethod = (typeof CNI_METHODS)[number];

export const DEFAULT_CNI_SOCKET = "/var/run/antrea/cni.sock";

/** Requests larger than this are refused: a network configuration is a few hundred bytes. */
export const MAX_REQUEST_BYTES = 1 << 20;

export const cniArgsSchema = z.object({
  container_id: z.string(),
  netns: z.string(),
  ifname: z.string(),
  args: z.string(),
  path: z.string(),
  network_configuration: z.string(),
});
export type CniArgs = z.infer<typeof cniArgsSchema>;

export const cniRequestSchema = z.object({
  method: z.string(),
  cni_args: cniArgsSchema,
});

export type CniResponse =
  | { cni_result: string }
  | { error: { code: number; message: string; details?: string } };
