// antctl's command tree in agent mode (pkg/antctl/antctl.go): names, aliases, flags, defaults and help as Antrea
// defines them, each command reading OVS (through OvsTools) and the Kubernetes API.
import { Command, InvalidArgumentError } from "commander";
import { AGENT_VERSION } from "../agent/agent-info.ts";
import { OvsTools } from "../common/ovs.ts";
import { agentInfoTable, getAgentInfo } from "./agentinfo.ts";
import { addressGroupsOnNode, appliedToGroupsOnNode, policiesOnNode } from "./controlplane.ts";
import { parseDuration } from "./duration.ts";
import { AntctlError, notFound } from "./errors.ts";
import {
  addressGroupResponse,
  addressGroupTable,
  appliedToGroupResponse,
  appliedToGroupTable,
} from "./groups.ts";
import { Kube } from "./kube.ts";
import {
  POLICY_TYPES,
  type PolicyTypeFlag,
  policyTable,
  SORT_BY_EFFECTIVE_PRIORITY,
  selectPolicies,
} from "./networkpolicies.ts";
import { formatOutput, OUTPUT_HELP, type OutputFormat, parseOutputFormat } from "./output.ts";
import { type OvsFlowsQuery, queryOvsFlows } from "./ovsflows.ts";
import { listPodInterfaces, podInterfaceTable } from "./pod-interfaces.ts";
import { sortByField } from "./sort-by.ts";
import { renderTable, renderTabwriter, type TableSpec } from "./table.ts";
import { runTraceflow } from "./traceflow.ts";

/** antctl's own version: the project's, which the agent reports too. */
const ANTCTL_VERSION = AGENT_VERSION;

/** Where antctl finds the node it serves. */
export interface AntctlIO {
  /** OVS_RUNDIR of the node's Open vSwitch. */
  ovsRundir: string;
  /** Kubeconfig used unless `--kubeconfig` is given (the KUBECONFIG of the caller). */
  kubeconfig?: string;
  /** The Node; without it, the Node with an address of the current network namespace. */
  nodeName?: string;
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** What an action needs: the node's OVS and API, the chosen output format and a verbose log. */
interface Context {
  ovs: OvsTools;
  kube: Kube;
  format: OutputFormat;
  log(message: string): void;
}

interface GlobalOptions {
  kubeconfig?: string;
  timeout?: number;
  verbose?: boolean;
}

type Action = (
  ctx: Context,
  name: string | undefined,
  opts: Record<string, string | boolean | undefined>,
) => Promise<string>;

export function buildProgram(io: AntctlIO, output: Output): Command {
  const program = new Command("antctl")
    .summary("Antrea's command line tool")
    .description("antctl is the command line tool for Antrea that supports showing status of agent")
    .option("-k, --kubeconfig <path>", "absolute path to the kubeconfig file")
    .option("-t, --timeout <duration>", "time limit of the execution of the command", timeoutArg)
    .option("-v, --verbose", "enable verbose output")
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => output.out(s), writeErr: (s) => output.err(s) });

  const attach = (cmd: Command, defaultFormat: OutputFormat, run: Action) =>
    cmd.option("-o, --output <format>", OUTPUT_HELP, defaultFormat).action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals<GlobalOptions & { output: string }>();
      const opts = command.opts<Record<string, string | boolean | undefined>>();
      const ctx: Context = {
        ovs: new OvsTools(io.ovsRundir),
        kube: new Kube(globals.kubeconfig ?? io.kubeconfig, io.nodeName),
        format: parseOutputFormat(globals.output),
        log: (m) => {
          if (globals.verbose) output.err(`antctl: ${m}\n`);
        },
      };
      const name = command.processedArgs[0] as string | undefined;
      ctx.log(`${command.name()} args: ${JSON.stringify({ name, ...opts })}`);
      output.out(await withTimeout(run(ctx, name, opts), globals.timeout));
    });

  attach(
    program
      .command("version")
      .summary("Print version information")
      .description("Print version information of antctl and agent"),
    "yaml",
    async (ctx) => {
      const response: Record<string, string> = {};
      try {
        const agentVersion = (await getAgentInfo(ctx.kube)).version;
        if (agentVersion) response.agentVersion = agentVersion;
      } catch (err) {
        // As antctl: the client version is printed even when the agent cannot be asked.
        ctx.log(`no agent version: ${(err as Error).message}`);
      }
      response.antctlVersion = ANTCTL_VERSION;
      return formatOutput(ctx.format, response, () =>
        renderTabwriter([Object.keys(response), Object.values(response)]),
      );
    },
  );

  const get = program
    .command("get")
    .summary("Get the status or resource of a topic")
    .description("Get the status or resource of a topic");

  attach(
    get
      .command("networkpolicy")
      .aliases(["networkpolicies", "netpol"])
      .summary("Print control plane NetworkPolicies")
      .description(
        "Print control plane NetworkPolicies in agent. 'namespace' is required if 'pod' is provided.",
      )
      .argument("[name]", "Get NetworkPolicy by name.")
      .option(
        "-S, --source <name>",
        "Get NetworkPolicies for which the source has the provided name. The source of a control plane " +
          "NetworkPolicy is the original policy resource (K8s NetworkPolicy or Antrea-native Policy) from " +
          "which the control plane NetworkPolicy was derived.",
      )
      .option("-n, --namespace <namespace>", "Get Networkpolicies from specific Namespace.")
      .option(
        "-p, --pod <pod>",
        "Get NetworkPolicies applied to the Pod. Pod format is podNamespace/podName.",
      )
      .option(
        "-T, --type <type>",
        "Get NetworkPolicies with specific type. Type refers to the type of its source NetworkPolicy: " +
          "K8sNP, ACNP, ANNP, BANP or ANP",
      )
      .option(
        "--sort-by <field>",
        `Get NetworkPolicies in specific order. Current supported value is ${SORT_BY_EFFECTIVE_PRIORITY}.`,
      )
      .addHelpText(
        "after",
        examples([
          [
            "Get a specific control plane NetworkPolicy",
            "antctl get networkpolicy 6001549b-ba63-4752-8267-30f52b4332db",
          ],
          ["Get the list of all control plane NetworkPolicies", "antctl get networkpolicy"],
          [
            "Get the list of all control plane NetworkPolicies, sorted by the order in which the policies are evaluated.",
            "antctl get networkpolicy --sort-by=effectivePriority",
          ],
          [
            "Get the control plane NetworkPolicy with a specific source",
            "antctl get networkpolicy -S allow-http -n ns1",
          ],
          [
            "Get the list of control plane NetworkPolicies whose source NetworkPolicies are in a Namespace",
            "antctl get networkpolicy -n ns1",
          ],
          [
            "Get the list of control plane NetworkPolicies with a specific source Type",
            "antctl get networkpolicy -T ACNP",
          ],
          [
            "Get the list of control plane NetworkPolicies applied to a Pod",
            "antctl get networkpolicy -p ns1/pod1",
          ],
        ]),
      ),
    "table",
    async (ctx, name, opts) => {
      const pod = str(opts.pod);
      const [policies, groups, ifaces] = await Promise.all([
        policiesOnNode(ctx.kube),
        pod ? appliedToGroupsOnNode(ctx.kube) : [],
        pod ? listPodInterfaces(ctx.ovs) : [],
      ]);
      const selected = selectPolicies(
        policies,
        groups,
        new Set(ifaces.map((i) => `${i.podNamespace}/${i.name}`)),
        {
          name,
          source: str(opts.source),
          namespace: str(opts.namespace),
          pod,
          type: policyType(opts.type),
          sortBy: str(opts.sortBy),
        },
      );
      return render(ctx, selected, policyTable(selected));
    },
  );

  attach(
    get
      .command("appliedtogroup")
      .aliases(["appliedtogroups", "atg"])
      .summary("Print appliedto groups")
      .description("Print appliedto groups in agent")
      .argument("[name]", "Retrieve resource by name")
      .option(
        "--sort-by <field>",
        "Get AppliedToGroups in specific order (a field path such as .metadata.name).",
      )
      .addHelpText(
        "after",
        examples([
          ["Get the list of all AppliedToGroups", "antctl get appliedtogroup"],
          [
            "Get the list of all control plane AppliedToGroups, sorted by a field",
            "antctl get appliedtogroup --sort-by='.metadata.name'",
          ],
        ]),
      ),
    "table",
    async (ctx, name, opts) => {
      const groups = await appliedToGroupsOnNode(ctx.kube);
      if (name) {
        const group = groups.find((g) => g.metadata.name === name);
        if (!group) throw notFound();
        const response = appliedToGroupResponse(group);
        return render(ctx, response, appliedToGroupTable([response]));
      }
      const responses = sortByField(groups, str(opts.sortBy) || ".metadata.name").map(appliedToGroupResponse);
      return render(ctx, responses, appliedToGroupTable(responses));
    },
  );

  attach(
    get
      .command("addressgroup")
      .aliases(["addressgroups", "ag"])
      .summary("Print address groups")
      .description("Print address groups in agent")
      .argument("[name]", "Retrieve resource by name")
      .option(
        "--sort-by <field>",
        "Get AddressGroups in specific order (a field path such as .metadata.name).",
      )
      .addHelpText(
        "after",
        examples([
          ["Get the list of all AddressGroups", "antctl get addressgroup"],
          [
            "Get the list of all control plane AddressGroups, sorted by a field",
            "antctl get addressgroup --sort-by='.metadata.name'",
          ],
        ]),
      ),
    "table",
    async (ctx, name, opts) => {
      const groups = await addressGroupsOnNode(ctx.kube);
      if (name) {
        const group = groups.find((g) => g.metadata.name === name);
        if (!group) throw notFound();
        const response = addressGroupResponse(group);
        return render(ctx, response, addressGroupTable([response]));
      }
      const responses = sortByField(groups, str(opts.sortBy) || ".metadata.name").map(addressGroupResponse);
      return render(ctx, responses, addressGroupTable(responses));
    },
  );

  attach(
    get
      .command("agentinfo")
      .aliases(["agentinfos", "ai"])
      .summary("Print agent's basic information")
      .description(
        "Print agent's basic information including version, deployment, Node subnet, OVS info, AgentConditions, etc.",
      )
      .addHelpText("after", examples([["Get the agentinfo", "antctl get agentinfo"]])),
    "table",
    async (ctx) => {
      const info = await getAgentInfo(ctx.kube);
      return render(ctx, info, agentInfoTable(info));
    },
  );

  attach(
    get
      .command("podinterface")
      .aliases(["podinterfaces", "pi"])
      .summary("Print Pod's network interface information")
      .description(
        "Print information about the network interface(s) created by the Antrea agent for the specified Pod.",
      )
      .argument("[name]", "Retrieve Pod interface by name. If present, Namespace must be provided.")
      .option("-n, --namespace <namespace>", "Get Pod interfaces from specific Namespace")
      .addHelpText(
        "after",
        examples([
          ["Get a pod-interface", "antctl get podinterface pod1 -n ns1"],
          ["Get the list of podinterfaces in a Namespace", "antctl get podinterface -n ns1"],
          [
            "Get the list of podinterfaces whose names match in all Namespaces",
            "antctl get podinterface pod1",
          ],
          ["Get the list of podinterfaces in all Namespaces", "antctl get podinterface"],
        ]),
      ),
    "table",
    async (ctx, name, opts) => {
      const namespace = str(opts.namespace);
      const items = (await listPodInterfaces(ctx.ovs)).filter(
        (i) => (!name || i.name === name) && (!namespace || i.podNamespace === namespace),
      );
      if (name && items.length === 0) throw notFound();
      return render(ctx, items, podInterfaceTable(items));
    },
  );

  attach(
    get
      .command("ovsflows")
      .alias("of")
      .summary("Dump OVS flows")
      .description("Dump all the OVS flows or the flows installed for the specified entity.")
      .option("-n, --namespace <namespace>", "Namespace of the entity")
      .option("-p, --pod <pod>", "Name of a local Pod. If present, Namespace must be provided.")
      .option("-S, --service <service>", "Name of a Service. If present, Namespace must be provided.")
      .option(
        "-N, --networkpolicy <name>",
        "NetworkPolicy name. Namespace must be provided for non-cluster-scoped policy types if a type is specified.",
      )
      .option("--type <type>", "NetworkPolicy type. Valid types are K8sNP, ACNP, ANNP, BANP or ANP.")
      .option("-T, --table <tables>", "Comma separated Antrea OVS flow table names or numbers")
      .option("--table-names-only", "Print all Antrea OVS flow table names only, and nothing else")
      .option("-G, --groups <ids>", "Comma separated OVS group IDs. Use 'all' to dump all groups")
      .addHelpText(
        "after",
        examples([
          ["Dump all OVS flows", "antctl get ovsflows"],
          ["Dump OVS table names only", "antctl get ovsflows --table-names-only"],
          ["Dump OVS flows of a local Pod", "antctl get ovsflows -p pod1 -n ns1"],
          ["Dump OVS flows of a Service", "antctl get ovsflows -S svc1 -n ns1"],
          ["Dump OVS flows of a NetworkPolicy", "antctl get ovsflows -N np1 -n ns1 --type K8sNP"],
          ["Dump OVS flows of a flow Table", "antctl get ovsflows -T IngressRule"],
          ["Dump OVS groups", "antctl get ovsflows -G 10,20"],
          ["Dump all OVS groups", "antctl get ovsflows -G all"],
        ]),
      ),
    "table",
    async (ctx, _name, opts) => {
      const query: OvsFlowsQuery = {
        namespace: str(opts.namespace),
        pod: str(opts.pod),
        service: str(opts.service),
        networkpolicy: str(opts.networkpolicy),
        type: policyType(opts.type),
        table: str(opts.table),
        tableNamesOnly: opts.tableNamesOnly === true,
        groups: str(opts.groups),
      };
      const flows = await queryOvsFlows(query, { ovs: ctx.ovs, kube: ctx.kube });
      return render(
        ctx,
        flows.map((flow) => ({ flow })),
        { header: [""], rows: flows.map((f) => [f]), sortRows: false },
      );
    },
  );

  program
    .command("traceflow")
    .aliases(["tf", "traceflows"])
    .summary("Start a Traceflows")
    .description("Start a Traceflows from one Pod to another Pod/Service/IP.")
    .option("-S, --source <source>", "source of the Traceflow: Namespace/Pod, Pod, or IP")
    .option(
      "-D, --destination <destination>",
      "destination of the Traceflow: Namespace/Pod, Pod, Namespace/Service, Service or IP",
    )
    .option("-o, --output <type>", "output type: yaml (default), json", "yaml")
    .option(
      "-f, --flow <flow>",
      "specify the flow (packet headers) of the Traceflow packet, including tcp_src, tcp_dst, tcp_flags, udp_src, udp_dst, ipv6",
    )
    .option(
      "-L, --live-traffic",
      "if set, the Traceflow will trace the first packet of the matched live traffic flow",
    )
    .option("--dropped-only", "if set, capture only the dropped packet in a live-traffic Traceflow")
    .option("--nowait", "if set, command returns without retrieving results")
    .addHelpText(
      "after",
      examples([
        [
          "Start a Traceflow from pod1 to pod2, both Pods are in Namespace default",
          "antctl traceflow -S pod1 -D pod2",
        ],
        [
          "Start a Traceflow from pod1 in Namepace ns1 to a destination IP",
          "antctl traceflow -S ns1/pod1 -D 123.123.123.123",
        ],
        [
          "Start a Traceflow from pod1 to Service svc1 in Namespace ns1",
          "antctl traceflow -S pod1 -D ns1/svc1 -f tcp,tcp_dst=80",
        ],
        [
          "Start a Traceflow from pod1 to pod2, with a UDP packet to destination port 1234",
          "antctl traceflow -S pod1 -D pod2 -f udp,udp_dst=1234",
        ],
        [
          "Start a Traceflow for live TCP traffic from pod1 to svc1, with 1 minute timeout",
          "antctl traceflow -S pod1 -D svc1 -f tcp --live-traffic -t 1m",
        ],
        [
          "Start a Traceflow to capture the first dropped TCP packet to pod1 on port 80, within 10 minutes",
          "antctl traceflow -D pod1 -f tcp,tcp_dst=80 --live-traffic --dropped-only -t 10m",
        ],
      ]),
    )
    // Not through attach(): -t is the trace's own wait (Antrea's raw commands read it themselves), not a bound
    // on the command, and -o takes yaml or json only.
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals<GlobalOptions>();
      const opts = command.opts<Record<string, string | boolean | undefined>>();
      await runTraceflow(
        new Kube(globals.kubeconfig ?? io.kubeconfig, io.nodeName),
        {
          source: str(opts.source),
          destination: str(opts.destination),
          flow: str(opts.flow),
          liveTraffic: opts.liveTraffic === true,
          droppedOnly: opts.droppedOnly === true,
          nowait: opts.nowait === true,
          output: str(opts.output) ?? "",
          timeoutMs: globals.timeout,
        },
        output,
      );
    });

  return program;
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** `--type` takes exactly one of Antrea's shorthands. */
function policyType(v: string | boolean | undefined): PolicyTypeFlag | undefined {
  const type = str(v);
  if (type === undefined) return undefined;
  if (!Object.hasOwn(POLICY_TYPES, type)) throw new AntctlError(`unsupported value ${type} for flag type`);
  return type as PolicyTypeFlag;
}

function render(ctx: Context, value: unknown, table: TableSpec): string {
  return formatOutput(ctx.format, value, () => renderTable(table));
}

function examples(list: readonly (readonly [string, string])[]): string {
  return `\nExamples:\n${list.map(([what, cmd]) => `  ${what}\n  $ ${cmd}`).join("\n")}`;
}

function timeoutArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`time: invalid duration "${value}"`);
  return ms;
}

/** Bounds an action by `--timeout` (0 or unset: no bound). */
async function withTimeout<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (!ms) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AntctlError(`timeout: the command did not finish within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
