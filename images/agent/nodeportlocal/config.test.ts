import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../config.ts";
import { parsePortRange } from "./config.ts";

const base = { nodeName: "n1", kubeconfig: "/k", ovsRundir: "/r" };

describe("nodePortLocal agent config", () => {
  it("is off by default with Antrea's range, as the chart ships it", () => {
    expect(parseAgentConfig(base).nodePortLocal).toEqual({ enable: false, portRange: "61000-62000" });
    expect(parseAgentConfig({ ...base, nodePortLocal: { enable: true } }).nodePortLocal).toEqual({
      enable: true,
      portRange: "61000-62000",
    });
  });

  it("accepts ranges of valid ports only", () => {
    expect(parsePortRange("26000-27000")).toEqual({ start: 26000, end: 27000 });
    expect(parsePortRange("62100-62100")).toEqual({ start: 62100, end: 62100 });
    for (const bad of ["62000-61000", "0-10", "1-65536", "61000", "a-b", " 1-2"]) {
      expect(parsePortRange(bad)).toBeUndefined();
    }
    expect(() => parseAgentConfig({ ...base, nodePortLocal: { enable: true, portRange: "2-1" } })).toThrow(
      /nodePortLocal\.portRange: must be START-END/,
    );
    expect(() => parseAgentConfig({ ...base, nodePortLocal: { enable: true, range: "1-2" } })).toThrow(
      /nodePortLocal/,
    );
  });
});
