import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { podHostname } from "./hostname.ts";

describe("podHostname", () => {
  it("prefers OVSLAB_POD_NAME, then HOSTNAME, then the machine's name", () => {
    expect(podHostname({ OVSLAB_POD_NAME: "pod-a", HOSTNAME: "h" })).toBe("pod-a");
    expect(podHostname({ HOSTNAME: "h" })).toBe("h");
    expect(podHostname({ OVSLAB_POD_NAME: "" })).toBe(hostname());
  });
});
