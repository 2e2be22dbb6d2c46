// What a failed Kubernetes API call says: the message of the Status object the API server answered with
// (`pods "x" not found`), for logs and for the reasons written into objects.
import { ApiException } from "@kubernetes/client-node";

/** The Status message of an API error, the error's own message for anything else (transport errors). */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON: print as is
      }
    }
    return typeof body === "object" && body !== null && "message" in body
      ? String(body.message)
      : String(err.body);
  }
  return err instanceof Error ? err.message : String(err);
}

/** `HTTP 422: <Status message>` for API errors (one line for logs), the error's own message for anything else. */
export function describeApiError(err: unknown): string {
  const message = apiErrorMessage(err);
  return err instanceof ApiException ? `HTTP ${err.code}: ${message}` : message;
}
