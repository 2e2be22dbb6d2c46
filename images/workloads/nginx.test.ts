import { afterEach, describe, expect, it } from "vitest";
import { nginxPage } from "./nginx.ts";
import { freePort, httpGet, startAgnhost, stopAllChildren } from "./test-support.ts";

describe("nginx personality", () => {
  afterEach(stopAllChildren);

  it("answers every path with a welcome page naming the Pod, and logs the access", async () => {
    const port = await freePort("tcp");
    const nginx = startAgnhost(["nginx", `--port=${port}`], { OVSLAB_POD_NAME: "nginx-7d9f-abcde" });
    await nginx.waitForOutput(/listening on port \d+/);
    for (const path of ["/", "/index.html", "/no/such/page"]) {
      const reply = await httpGet(port, path);
      expect(reply.status).toBe(200);
      expect(reply.headers.server).toBe("nginx");
      expect(reply.body).toContain("<title>Welcome to nginx!</title>");
      expect(reply.body).toContain("nginx-7d9f-abcde");
    }
    // The access log reaches us through a pipe, possibly after the HTTP reply.
    await nginx.waitForOutput(
      /\n127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}(:\d\d){3} \+0000\] "GET \/no\/such\/page HTTP\/1\.1" 200 \d+ "-" "-"/,
    );
  });

  it("escapes the hostname in the page", () => {
    expect(nginxPage("<b>&")).toContain("Served by &#60;b&#62;&#38;.");
  });
});
