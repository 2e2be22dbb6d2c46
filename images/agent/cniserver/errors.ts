// CNI error codes as Antrea's CNI server answers them (pkg/apis/cni/v1beta1 ErrorCode; 1-11 and 50 are the spec's
// well-known codes, 100+ Antrea's own), and the error the server's handlers throw to answer with one of them.

export const CniErrorCode = {
  INCOMPATIBLE_CNI_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENVIRONMENT_VARIABLES: 4,
  IO_FAILURE: 5,
  DECODING_FAILURE: 6,
  INVALID_NETWORK_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  /** Spec 1.1 STATUS: the plugin cannot serve ADD now. */
  PLUGIN_NOT_AVAILABLE: 50,
  IPAM_FAILURE: 101,
  CONFIG_INTERFACE_FAILURE: 102,
  CHECK_INTERFACE_FAILURE: 103,
  /** The server does not know the requested method (Antrea: gRPC Unimplemented). */
  INCOMPATIBLE_API_VERSION: 202,
  /** libcni's ErrInternal: a failure the server has no better code for. */
  INTERNAL: 999,
} as const;
export type CniErrorCode = (typeof CniErrorCode)[keyof typeof CniErrorCode];

export class CniServerError extends Error {
  constructor(
    readonly code: CniErrorCode,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = "CniServerError";
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
