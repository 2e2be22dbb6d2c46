import { afterEach, describe, expect, it } from "vitest";
import { startAgnhost, stopAllChildren } from "./test-support.ts";

// agnhost's own exit codes: 2 after SIGTERM, 1 after SIGINT (see pause.ts).
describe("agnhost pause", () => {
  afterEach(stopAllChildren);

  it.each([
    ["SIGTERM", 2],
    ["SIGINT", 1],
  ] as const)("prints Paused and exits on %s with code %i", async (signal, code) => {
    const pause = startAgnhost(["pause"]);
    await pause.waitForOutput(/^Paused\n$/);
    pause.child.kill(signal);
    expect(await pause.exited).toEqual({ code, signal: null });
  });
});
