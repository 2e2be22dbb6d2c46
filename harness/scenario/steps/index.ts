// The step registry: every step kind a scenario may use, in the order the JSON Schema lists them.
// Adding a kind = one module that calls defineStep (schema + title + run), plus one line here.
import { antctlStep } from "./antctl.ts";
import { applyStep } from "./apply.ts";
import { deleteStep } from "./delete.ts";
import { egressStep } from "./egress.ts";
import { execStep } from "./exec.ts";
import { faultStep } from "./fault.ts";
import { flowsStep } from "./flows.ts";
import { nplStep } from "./npl.ts";
import { probeStep } from "./probe.ts";
import { reachabilityStep } from "./reachability.ts";
import type { StepKind } from "./step-kind.ts";
import { traceflowStep } from "./traceflow.ts";
import { waitStep } from "./wait.ts";

export const STEP_KINDS: readonly StepKind[] = [
  applyStep,
  deleteStep,
  waitStep,
  probeStep,
  reachabilityStep,
  flowsStep,
  execStep,
  antctlStep,
  egressStep,
  faultStep,
  nplStep,
  traceflowStep,
];

export function stepKind(kind: string): StepKind | undefined {
  return STEP_KINDS.find((k) => k.kind === kind);
}
