// The OVS pipeline, declared once as data: Antrea's tables in Antrea's order (pipeline.go, spec §1.2), each with
// its stage, the features that need it and its table-miss behaviour. Table numbers are not declared: like
// Antrea's NextTableID they are counted over the enabled tables, root pipeline first, then ARP, then IP. With
// every feature on, the numbers are Antrea's stock ones (PipelineRootClassifier 0 ... Output 28).
import { EpToSelectRegMark, loadRegMark, type RegMark, ToGatewayRegMark } from "./fields.ts";

/** Antrea's stages, in pipeline order. */
const STAGES = [
  "start",
  "classifier",
  "validation",
  "conntrackState",
  "preRouting",
  "egressSecurity",
  "routing",
  "postRouting",
  "switching",
  "ingressSecurity",
  "conntrack",
  "output",
] as const;
export type Stage = (typeof STAGES)[number];

/** Antrea's pipelines: the root classifier, then one pipeline for ARP and one for IP. */
export type PipelineKind = "root" | "arp" | "ip";

/**
 * What needs a table. podConnectivity and networkPolicy are always on (as in Antrea); the others follow the
 * agent config (AntreaProxy, the AntreaPolicy and Egress feature gates).
 */
export type Feature = "podConnectivity" | "networkPolicy" | "service" | "antreaPolicy" | "egress";
export type FeatureSet = Readonly<Record<"service" | "antreaPolicy" | "egress", boolean>>;

/**
 * Table-miss behaviour: `next` = `goto_table:<next table>`, `drop`, or load a mark and go to a table (or return
 * to the resubmitting table when there is no `goto`). The last table of each pipeline drops.
 */
export type Miss = "next" | "drop" | { readonly load: RegMark; readonly goto?: string };

export interface TableSpec {
  readonly name: string;
  readonly stage: Stage;
  readonly kind: PipelineKind;
  readonly feature: Feature;
  readonly miss: Miss;
}

// Whatever is not routed explicitly goes to the gateway (Pod to external).
const toGatewayThenL2 = { load: ToGatewayRegMark, goto: "L2ForwardingCalc" } as const;

/** In declaration order (pipeline.go); `kind` decides the numbering order (root, ARP, IP). */
export const TABLES = [
  { name: "PipelineRootClassifier", stage: "start", kind: "root", feature: "podConnectivity", miss: "drop" },
  { name: "ARPSpoofGuard", stage: "validation", kind: "arp", feature: "podConnectivity", miss: "drop" },
  { name: "ARPResponder", stage: "output", kind: "arp", feature: "podConnectivity", miss: "drop" },
  { name: "Classifier", stage: "classifier", kind: "ip", feature: "podConnectivity", miss: "drop" },
  { name: "SpoofGuard", stage: "validation", kind: "ip", feature: "podConnectivity", miss: "drop" },
  { name: "UnSNAT", stage: "conntrackState", kind: "ip", feature: "service", miss: "next" },
  { name: "ConntrackZone", stage: "conntrackState", kind: "ip", feature: "podConnectivity", miss: "next" },
  { name: "ConntrackState", stage: "conntrackState", kind: "ip", feature: "podConnectivity", miss: "next" },
  { name: "PreRoutingClassifier", stage: "preRouting", kind: "ip", feature: "service", miss: "next" },
  // Only resubmitted to: its miss marks the packet for Endpoint selection and returns.
  {
    name: "SessionAffinity",
    stage: "preRouting",
    kind: "ip",
    feature: "service",
    miss: { load: EpToSelectRegMark },
  },
  { name: "ServiceLB", stage: "preRouting", kind: "ip", feature: "service", miss: "next" },
  { name: "EndpointDNAT", stage: "preRouting", kind: "ip", feature: "service", miss: "next" },
  {
    name: "AntreaPolicyEgressRule",
    stage: "egressSecurity",
    kind: "ip",
    feature: "antreaPolicy",
    miss: "next",
  },
  { name: "EgressRule", stage: "egressSecurity", kind: "ip", feature: "networkPolicy", miss: "next" },
  { name: "EgressDefaultRule", stage: "egressSecurity", kind: "ip", feature: "networkPolicy", miss: "next" },
  { name: "EgressMetric", stage: "egressSecurity", kind: "ip", feature: "networkPolicy", miss: "next" },
  { name: "L3Forwarding", stage: "routing", kind: "ip", feature: "podConnectivity", miss: toGatewayThenL2 },
  { name: "EgressMark", stage: "routing", kind: "ip", feature: "egress", miss: toGatewayThenL2 },
  { name: "L3DecTTL", stage: "routing", kind: "ip", feature: "podConnectivity", miss: "next" },
  { name: "SNATMark", stage: "postRouting", kind: "ip", feature: "service", miss: "next" },
  { name: "SNAT", stage: "postRouting", kind: "ip", feature: "service", miss: "next" },
  { name: "L2ForwardingCalc", stage: "switching", kind: "ip", feature: "podConnectivity", miss: "next" },
  {
    name: "IngressSecurityClassifier",
    stage: "ingressSecurity",
    kind: "ip",
    feature: "networkPolicy",
    miss: "next",
  },
  {
    name: "AntreaPolicyIngressRule",
    stage: "ingressSecurity",
    kind: "ip",
    feature: "antreaPolicy",
    miss: "next",
  },
  { name: "IngressRule", stage: "ingressSecurity", kind: "ip", feature: "networkPolicy", miss: "next" },
  {
    name: "IngressDefaultRule",
    stage: "ingressSecurity",
    kind: "ip",
    feature: "networkPolicy",
    miss: "next",
  },
  { name: "IngressMetric", stage: "ingressSecurity", kind: "ip", feature: "networkPolicy", miss: "next" },
  { name: "ConntrackCommit", stage: "conntrack", kind: "ip", feature: "podConnectivity", miss: "next" },
  { name: "Output", stage: "output", kind: "ip", feature: "podConnectivity", miss: "drop" },
] as const satisfies readonly TableSpec[];

export type TableName = (typeof TABLES)[number]["name"];

export interface Table {
  readonly name: TableName;
  readonly id: number;
  readonly stage: Stage;
  readonly kind: PipelineKind;
  /** The next table of the same pipeline (undefined for the last one). */
  readonly next?: TableName;
  readonly miss: Miss;
}

const KIND_ORDER: readonly PipelineKind[] = ["root", "arp", "ip"];

/** The realized pipeline: the enabled tables with their numbers. */
export class Pipeline {
  readonly tables: readonly Table[];
  private readonly byName: ReadonlyMap<TableName, Table>;

  constructor(readonly features: FeatureSet) {
    const enabled = (f: Feature) => f === "podConnectivity" || f === "networkPolicy" || features[f];
    const tables: Table[] = [];
    for (const kind of KIND_ORDER) {
      const specs = TABLES.filter((t) => t.kind === kind && enabled(t.feature));
      specs.forEach((t, i) => {
        const next = specs[i + 1]?.name;
        tables.push({
          name: t.name,
          id: tables.length,
          stage: t.stage,
          kind,
          miss: t.miss,
          ...(next ? { next } : {}),
        });
      });
    }
    this.tables = tables;
    this.byName = new Map(tables.map((t) => [t.name, t]));
  }

  has(name: TableName): boolean {
    return this.byName.has(name);
  }

  table(name: TableName): Table {
    const t = this.byName.get(name);
    if (!t) throw new Error(`table ${name} is not in this pipeline (feature disabled)`);
    return t;
  }

  id(name: TableName): number {
    return this.table(name).id;
  }

  /** The table after `name` in its pipeline. */
  next(name: TableName): TableName {
    const next = this.table(name).next;
    if (!next) throw new Error(`table ${name} is the last of its pipeline`);
    return next;
  }

  /** `goto_table:<id>`. */
  goto(name: TableName): string {
    return `goto_table:${this.id(name)}`;
  }

  /** `goto_table:<id of the table after name>`. */
  gotoNext(name: TableName): string {
    return this.goto(this.next(name));
  }

  /** `resubmit(,<id>)`. */
  resubmit(name: TableName): string {
    return `resubmit(,${this.id(name)})`;
  }

  /**
   * The first table of a stage in the IP pipeline (Antrea's GotoStage); when the stage has no enabled table, the
   * first table of a later stage.
   */
  stageStart(stage: Stage): TableName {
    const order = STAGES.indexOf(stage);
    const t = this.tables.find((t) => t.kind === "ip" && STAGES.indexOf(t.stage) >= order);
    if (!t) throw new Error(`no table at or after stage ${stage}`);
    return t.name;
  }

  /** Resolves a table given by name or number, as `antctl get ovsflows -T` accepts either. */
  resolve(nameOrNumber: string): Table | undefined {
    if (/^\d+$/.test(nameOrNumber)) return this.tables[Number(nameOrNumber)];
    return this.tables.find((t) => t.name === nameOrNumber);
  }

  /** The actions of a table's miss flow. */
  missActions(name: TableName): string[] {
    const miss = this.table(name).miss;
    if (miss === "drop") return ["drop"];
    if (miss === "next") return [this.gotoNext(name)];
    const target = miss.goto === undefined ? undefined : this.resolve(miss.goto);
    if (miss.goto !== undefined && !target)
      throw new Error(`miss flow of ${name} goes to unknown table ${miss.goto}`);
    return [loadRegMark(miss.load), ...(target ? [this.goto(target.name)] : [])];
  }
}
