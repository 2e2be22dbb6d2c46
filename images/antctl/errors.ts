// The errors antctl prints as `Error: <message>` with exit code 1. Antrea's agent answers some queries with an
// HTTP status; antctl words those as `request to server failed: <status text>: <body>`, and so do we, so that
// scenarios match the same text on both backends.

export class AntctlError extends Error {
  override name = "AntctlError";
}

const STATUS_TEXT = {
  400: "Bad Request",
  404: "Not Found",
  503: "Service Unavailable",
} as const;

/** What Antrea's agent API would have answered with `status` and a plain-text body. */
export function serverError(status: keyof typeof STATUS_TEXT, body: string): AntctlError {
  return new AntctlError(`request to server failed: ${STATUS_TEXT[status]}: ${body}`);
}

export function badRequest(message: string): AntctlError {
  return serverError(400, message);
}

/** The agent's empty 404: client-go's own sentence for the status stands in for the missing body. */
export function notFound(): AntctlError {
  return serverError(404, "the server could not find the requested resource");
}
