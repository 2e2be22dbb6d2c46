// Raw HTTPS requests: every malformed or unsupported request gets a Kubernetes Status, the server keeps serving,
// and the collection-level verbs behave.
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../testing/test-cluster.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
});

afterAll(async () => {
  await c?.close();
});

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

function call(
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const url = new URL(path, c.server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: c.caCertPem,
        headers: {
          Authorization: `Bearer ${c.token}`,
          "Content-Type": "application/json",
          // Node sends no body framing for DELETE on its own.
          ...(body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(body)) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function status(r: Reply): { code: number; reason: string; message: string } {
  const s = JSON.parse(r.body);
  expect(s.kind).toBe("Status");
  expect(s.code).toBe(r.status);
  return s;
}

const PODS = "/api/v1/namespaces/default/pods";
const CMS = "/api/v1/namespaces/default/configmaps";

describe("HTTP edge cases", () => {
  it("answers every bad request with a Status and keeps serving", async () => {
    const cases: [string, string, string | Buffer | undefined, Record<string, string>, number, string][] = [
      ["GET", "/api/v1/nothing", undefined, {}, 404, "NotFound"],
      ["GET", "/apis/nope.example.com/v1", undefined, {}, 404, "NotFound"],
      ["GET", `${PODS}/x/exec`, undefined, {}, 404, "NotFound"],
      ["GET", "/api/v1/namespaces/default/nodes", undefined, {}, 404, "NotFound"],
      ["PUT", PODS, "{}", {}, 405, "MethodNotAllowed"],
      ["POST", "/apis", "{}", {}, 405, "MethodNotAllowed"],
      ["POST", CMS, "{not json", {}, 400, "BadRequest"],
      ["POST", CMS, "[1,2]", {}, 400, "BadRequest"],
      ["POST", CMS, '{"metadata": 5}', {}, 400, "BadRequest"],
      ["POST", CMS, '{"kind":"Pod","metadata":{"name":"x"}}', {}, 400, "BadRequest"],
      ["POST", CMS, "{}", { "Content-Type": "text/plain" }, 415, "UnsupportedMediaType"],
      [
        "POST",
        CMS,
        Buffer.from("k8s\0garbage"),
        { "Content-Type": "application/vnd.kubernetes.protobuf" },
        415,
        "UnsupportedMediaType",
      ],
      ["POST", CMS, Buffer.alloc(4 * 1024 * 1024, 32), {}, 413, "RequestEntityTooLarge"],
      ["PATCH", `${PODS}/x`, "{}", { "Content-Type": "application/merge-patch+json" }, 404, "NotFound"],
      ["GET", `${PODS}?labelSelector=a%20in%20(b`, undefined, {}, 400, "BadRequest"],
      ["GET", `${PODS}?fieldSelector=spec.nope%3Dx`, undefined, {}, 400, "BadRequest"],
      ["DELETE", `${CMS}/none`, '{"propagationPolicy":"Sometimes"}', {}, 400, "BadRequest"],
      ["GET", PODS, undefined, { Authorization: "Bearer wrong" }, 401, "Unauthorized"],
      ["GET", "/openapi/v2", undefined, {}, 404, "NotFound"],
    ];
    for (const [method, path, body, headers, code, reason] of cases) {
      const r = await call(method, path, body, headers);
      expect(r.status, `${method} ${path}`).toBe(code);
      expect(r.body, `${method} ${path}`).toContain(`"reason":"${reason}"`);
      expect(status(r).reason, `${method} ${path}`).toBe(reason);
    }
    expect((await call("GET", "/healthz", undefined, { Authorization: "" })).body).toBe("ok");
  });

  it("rejects malformed patches without changing the object", async () => {
    expect(
      (await call("POST", CMS, JSON.stringify({ metadata: { name: "p" }, data: { a: "1" } }))).status,
    ).toBe(201);
    const jsonPatch = { "Content-Type": "application/json-patch+json" };
    const smp = { "Content-Type": "application/strategic-merge-patch+json" };
    expect((await call("PATCH", `${CMS}/p`, '{"op":"add"}', jsonPatch)).status).toBe(422);
    expect(
      (await call("PATCH", `${CMS}/p`, '[{"op":"test","path":"/data/a","value":"2"}]', jsonPatch)).status,
    ).toBe(422);
    expect((await call("PATCH", `${CMS}/p`, '{"data":{"$patch":"explode"}}', smp)).status).toBe(422);
    expect(
      (
        await call("PATCH", `${CMS}/p`, '{"metadata":{"name":"other"}}', {
          "Content-Type": "application/merge-patch+json",
        })
      ).status,
    ).toBe(400);
    const ok = await call("PATCH", `${CMS}/p`, '[{"op":"replace","path":"/data/a","value":"3"}]', jsonPatch);
    expect(JSON.parse(ok.body).data).toEqual({ a: "3" });
  });

  it("creates from YAML, lists as metadata only, and deletes a labelled collection", async () => {
    for (const [name, app] of [
      ["c1", "x"],
      ["c2", "x"],
      ["c3", "y"],
    ]) {
      const r = await call("POST", CMS, `metadata:\n  name: ${name}\n  labels: {app: ${app}}\n`, {
        "Content-Type": "application/yaml",
      });
      expect(r.status).toBe(201);
    }
    const meta = JSON.parse(
      (
        await call("GET", `${CMS}?labelSelector=app`, undefined, {
          Accept: "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        })
      ).body,
    );
    expect(meta.kind).toBe("PartialObjectMetadataList");
    expect(meta.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      "c1",
      "c2",
      "c3",
    ]);
    const deleted = JSON.parse((await call("DELETE", `${CMS}?labelSelector=app%3Dx`)).body);
    expect(deleted.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["c1", "c2"]);
    const left = JSON.parse((await call("GET", `${CMS}?labelSelector=app`)).body);
    expect(left.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["c3"]);
  });

  it("serves discovery in both forms and the OpenAPI v3 documents it indexes", async () => {
    const aggregated = await call("GET", "/apis", undefined, {
      Accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
    });
    expect(aggregated.contentType).toBe(
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    );
    const groups = JSON.parse(aggregated.body).items.map(
      (g: { metadata: { name: string } }) => g.metadata.name,
    );
    expect(groups).toEqual([
      "apps",
      "discovery.k8s.io",
      "coordination.k8s.io",
      "networking.k8s.io",
      "crd.antrea.io",
      "controlplane.antrea.io",
    ]);
    const legacy = JSON.parse((await call("GET", "/apis/crd.antrea.io/v1beta1")).body);
    const tf = legacy.resources.find((r: { name: string }) => r.name === "traceflows");
    expect(tf).toMatchObject({ kind: "Traceflow", namespaced: false, shortNames: ["tf"] });
    const index = JSON.parse((await call("GET", "/openapi/v3")).body);
    const doc = JSON.parse(
      (await call("GET", index.paths["apis/crd.antrea.io/v1beta1"].serverRelativeURL)).body,
    );
    expect(
      doc.paths["/apis/crd.antrea.io/v1beta1/traceflows/{name}"].patch["x-kubernetes-group-version-kind"],
    ).toEqual({
      group: "crd.antrea.io",
      version: "v1beta1",
      kind: "Traceflow",
    });
    expect(
      JSON.parse((await call("GET", "/version", undefined, { Authorization: "" })).body).gitVersion,
    ).toBe("v1.32.0");
  });
});
