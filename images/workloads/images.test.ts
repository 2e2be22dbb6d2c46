import { describe, expect, it } from "vitest";
import { run } from "../common/exec.ts";
import {
  AGNHOST_PATH,
  agnhostArgv,
  type ContainerSpec,
  imageName,
  resolveContainerCommand,
  resolveExecCommand,
} from "./images.ts";

const agnhost = (...args: string[]) => ({ argv: agnhostArgv(args) });
const host = (...argv: string[]) => ({ argv });

describe("resolveContainerCommand", () => {
  it.each<[string, ContainerSpec, ReturnType<typeof resolveContainerCommand>]>([
    [
      "agnhost args run agnhost",
      { image: "registry.k8s.io/e2e-test-images/agnhost:2.52", args: ["netexec", "--http-port=8080"] },
      agnhost("netexec", "--http-port=8080"),
    ],
    ["agnhost defaults to pause", { image: "k8s.gcr.io/e2e-test-images/agnhost:2.39" }, agnhost("pause")],
    [
      "an explicit /agnhost command",
      { image: "agnhost:2.52", command: ["/agnhost"], args: ["serve-hostname", "--port=9376"] },
      agnhost("serve-hostname", "--port=9376"),
    ],
    [
      "a shell command in the agnhost image",
      { image: "registry.k8s.io/e2e-test-images/agnhost:2.52", command: ["/bin/sh", "-c", "sleep 5"] },
      host("/bin/sh", "-c", "sleep 5"),
    ],
    [
      "busybox command and args",
      { image: "busybox:1.36", command: ["sh", "-c"], args: ["echo hi && sleep 3600"] },
      host("sh", "-c", "echo hi && sleep 3600"),
    ],
    [
      "busybox args alone",
      { image: "docker.io/library/busybox", args: ["sleep", "10"] },
      host("sleep", "10"),
    ],
    ["busybox with nothing pauses", { image: "busybox" }, host("sleep", "infinity")],
    ["alpine with nothing pauses", { image: "alpine:3.20@sha256:abcd" }, host("sleep", "infinity")],
    ["nginx on port 80", { image: "nginx:1.27" }, agnhost("nginx", "--port=80")],
    [
      "nginx on its first TCP containerPort",
      {
        image: "registry.k8s.io/e2e-test-images/nginx:1.14-4",
        ports: [
          { containerPort: 53, protocol: "UDP" },
          { containerPort: 8080, protocol: "TCP" },
        ],
      },
      agnhost("nginx", "--port=8080"),
    ],
    [
      "nginx started as nginx",
      { image: "nginx", command: ["nginx", "-g", "daemon off;"] },
      agnhost("nginx", "--port=80"),
    ],
    [
      "a shell in the nginx image",
      { image: "nginx", command: ["sh", "-c", "true"] },
      host("sh", "-c", "true"),
    ],
    ["the pause image", { image: "registry.k8s.io/pause:3.10" }, host("sleep", "infinity")],
  ])("%s", (_why, container, expected) => {
    expect(resolveContainerCommand(container)).toEqual(expected);
  });

  it("names the image and the supported families for anything else", () => {
    const result = resolveContainerCommand({ image: "antrea/toolbox:1.5" });
    expect(result).toEqual({ error: expect.stringContaining('image "antrea/toolbox:1.5" is not supported') });
    expect("error" in result && result.error).toMatch(/agnhost.*busybox.*alpine.*nginx.*pause/);
  });
});

describe("imageName", () => {
  it.each([
    ["registry.k8s.io/e2e-test-images/agnhost:2.52", "agnhost"],
    ["localhost:5000/busybox", "busybox"],
    ["localhost:5000/busybox:1.0@sha256:00", "busybox"],
    ["NGINX", "nginx"],
  ])("%s -> %s", (image, name) => {
    expect(imageName(image)).toBe(name);
  });
});

describe("agnhostArgv", () => {
  it("uses absolute paths, so it runs from any working directory", async () => {
    const argv = agnhostArgv(["--help"]);
    expect(argv).toEqual([
      process.execPath,
      "--import",
      expect.stringMatching(/^file:\/\/\/.*tsx/),
      AGNHOST_PATH,
      "--help",
    ]);
    const result = await run(argv, { cwd: "/", timeoutMs: 20_000 });
    expect(result.stdout).toMatch(/^Usage:\n {2}agnhost \[command\]/);
  });

  it("maps /agnhost in exec commands and leaves other programs alone", () => {
    expect(resolveExecCommand(["/agnhost", "connect", "10.0.0.1:80", "--timeout=1s"])).toEqual(
      agnhostArgv(["connect", "10.0.0.1:80", "--timeout=1s"]),
    );
    expect(resolveExecCommand(["wget", "-O-", "http://x"])).toEqual(["wget", "-O-", "http://x"]);
  });
});
