// Tiny CNI plugins for tests, written into a temp dir that serves as a CNI_PATH entry.
//  rec      records each call (CNI_* and OL_* env, stdin) as a JSON line in the config's `recordFile`; on ADD
//           returns prevResult (or a fresh result), adding an interface `<type>-<ifname>` when the
//           config says `"append": true`; on STATUS fails with the config's `statusCode`, if any.
//  rec-a, rec-b   the same program under other names, to build chains.
//  broken   always fails with the error result code 7 (Invalid Configuration).
//  crash    exits 2 with a message on stderr only.  garbage  exits 0 printing non-JSON.
//  slow     never finishes.
import { chmod, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

const REC = `#!${process.execPath}
const fs = require("node:fs");
const input = fs.readFileSync(0, "utf8");
const conf = input ? JSON.parse(input) : {};
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(CNI|OL)_/.test(k)));
if (conf.recordFile) fs.appendFileSync(conf.recordFile, JSON.stringify({ type: conf.type, env, stdin: conf }) + "\\n");
const cmd = process.env.CNI_COMMAND;
const print = (o) => process.stdout.write(JSON.stringify(o));
if (cmd === "VERSION") {
  print({ cniVersion: conf.cniVersion, supportedVersions: ["0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
} else if (cmd === "STATUS" && conf.statusCode) {
  print({ cniVersion: conf.cniVersion, code: conf.statusCode, msg: "plugin not available", details: "test" });
  process.exit(1);
} else if (cmd === "ADD") {
  const prev = conf.prevResult ?? { cniVersion: conf.cniVersion, interfaces: [], ips: [] };
  const interfaces = [...(prev.interfaces ?? [])];
  if (conf.append) interfaces.push({ name: conf.type + "-" + process.env.CNI_IFNAME, sandbox: process.env.CNI_NETNS });
  print({ ...prev, cniVersion: conf.cniVersion, interfaces });
}
`;

const SCRIPTS: Record<string, string> = {
  rec: REC,
  broken: `#!/bin/sh
cat >/dev/null
printf '%s' '{"cniVersion":"1.0.0","code":7,"msg":"Invalid Configuration","details":"subnet too small"}'
exit 1
`,
  crash: `#!/bin/sh
echo "segfault-ish: boom" >&2
exit 2
`,
  garbage: `#!/bin/sh
cat >/dev/null
echo "hello, not json"
`,
  slow: `#!/bin/sh
exec sleep 60
`,
};

export async function writeTestPlugins(dir: string): Promise<void> {
  for (const [name, text] of Object.entries(SCRIPTS)) {
    const path = join(dir, name);
    await writeFile(path, text);
    await chmod(path, 0o755);
  }
  await symlink("rec", join(dir, "rec-a"));
  await symlink("rec", join(dir, "rec-b"));
}

export interface Recorded {
  type: string;
  env: Record<string, string>;
  stdin: Record<string, unknown>;
}
