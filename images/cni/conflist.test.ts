import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFLIST_FILE, installConflist, removeConflist, renderConflist } from "./conflist.ts";

const opts = { podCIDR: "10.244.1.0/24", gateway: "10.244.1.1", mtu: 1450 };

describe("renderConflist", () => {
  it("is Antrea's 10-antrea.conflist: antrea with host-local on the Pod CIDR, then portmap", () => {
    expect(renderConflist(opts)).toEqual({
      cniVersion: "0.3.0",
      name: "antrea",
      plugins: [
        {
          type: "antrea",
          mtu: 1450,
          ipam: { type: "host-local", ranges: [[{ subnet: "10.244.1.0/24", gateway: "10.244.1.1" }]] },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    });
  });

  it("names host-local's data dir when given one", () => {
    expect(renderConflist({ ...opts, dataDir: "/run/ovslab/x/ipam" }).plugins[0].ipam.dataDir).toBe(
      "/run/ovslab/x/ipam",
    );
  });

  it.each([
    [{ podCIDR: "10.244.1.0" }, /invalid podCIDR/],
    [{ podCIDR: "10.244.1.0/33" }, /invalid podCIDR/],
    [{ podCIDR: "banana/24" }, /invalid podCIDR/],
    [{ gateway: "fd00::1" }, /invalid gateway .* IPv4/],
    [{ mtu: 40 }, /invalid mtu 40/],
  ])("refuses %o", (bad, message) => {
    expect(() => renderConflist({ ...opts, ...bad })).toThrow(message);
  });
});

describe("installConflist / removeConflist", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ol-tcni-conf-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the file with mode 644 whatever the umask, replacing an older one and a stale 10-antrea.conf", async () => {
    const confDir = join(dir, "net.d");
    await installConflist(confDir, { ...opts, mtu: 1500 });
    await writeFile(join(confDir, "10-antrea.conf"), "{}");
    const old = process.umask(0o077);
    let path: string;
    try {
      path = await installConflist(confDir, opts);
    } finally {
      process.umask(old);
    }
    expect(path).toBe(join(confDir, CONFLIST_FILE));
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual(renderConflist(opts));
    expect(await readdir(confDir)).toEqual([CONFLIST_FILE]);
  });

  it("removeConflist removes only the conflist, and succeeds when it is gone", async () => {
    await writeFile(join(dir, "99-other.conflist"), "{}");
    await installConflist(dir, opts);
    await removeConflist(dir);
    await removeConflist(dir);
    expect(await readdir(dir)).toEqual(["99-other.conflist"]);
  });
});
