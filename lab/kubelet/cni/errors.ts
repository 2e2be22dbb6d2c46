// The two ways a plugin call fails: the plugin reported a CNI error result (CniError, with the spec's
// code/msg/details), or the plugin could not be run or broke the protocol (CniInvocationError).

export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION" | "STATUS";

/** Well-known error codes (spec section 5, "Error"); 100+ are plugin specific. */
export const CniErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
} as const;

/** A plugin exited non-zero with an error result on stdout. */
export class CniError extends Error {
  constructor(
    /** The plugin type (executable name). */
    readonly plugin: string,
    readonly command: CniCommand,
    readonly code: number,
    readonly msg: string,
    readonly details?: string,
    readonly stderr = "",
  ) {
    super(`CNI plugin ${plugin} failed (${command}): code ${code}: ${msg}${details ? `: ${details}` : ""}`);
    this.name = "CniError";
  }
}

export type InvocationFailure =
  /** No executable of that name in any CNI_PATH dir. */
  | "not-found"
  /** The plugin did not finish within the per-call timeout and was killed. */
  | "timeout"
  /** Non-zero exit without a parseable error result. */
  | "failed"
  /** Exit 0 but stdout is not the result the command requires. */
  | "bad-output";

export class CniInvocationError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: CniCommand,
    readonly reason: InvocationFailure,
    detail: string,
    readonly stderr = "",
  ) {
    super(`CNI plugin ${plugin} (${command}): ${detail}`);
    this.name = "CniInvocationError";
  }
}
