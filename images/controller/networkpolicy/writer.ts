// Publishes the desired controlplane objects. A mirror of what the API holds (fed by the watches of the three
// kinds and by the responses to our own writes) lets every sync compare before writing: only objects whose
// controller-owned content differs are written, so unchanged objects keep their resourceVersion. Groups are
// written before the policies that use them and deleted after them, so agents never see a dangling reference.
import {
  type AddressGroup,
  type AppliedToGroup,
  CONTROLPLANE_API_VERSION,
  CONTROLPLANE_GROUP,
  type CONTROLPLANE_RESOURCES,
  CONTROLPLANE_VERSION,
  type ControlplaneNetworkPolicy,
  controlplaneNetworkPolicySchema,
  formatSourceRef,
} from "../../api/controlplane.ts";
import {
  type ApiObject,
  apiErrorCode,
  type CustomObjects,
  describeApiError,
} from "../kube/custom-objects.ts";
import type { ChangeType } from "../kube/informer.ts";
import type { Logger } from "../log.ts";
import { canonicalJson } from "./canonical-json.ts";
import type { DesiredGroup, DesiredPolicy, DesiredState } from "./policy-state.ts";

export type ControlplaneResource = (typeof CONTROLPLANE_RESOURCES)[keyof typeof CONTROLPLANE_RESOURCES];

/** The fields the controller owns in each kind; the rest (metadata, status) belongs to the API and agents. */
const OWNED_FIELDS: Record<ControlplaneResource, readonly string[]> = {
  networkpolicies: ["rules", "appliedToGroups", "priority", "tierPriority", "sourceRef", "span"],
  addressgroups: ["groupMembers", "span"],
  appliedtogroups: ["groupMembers", "span"],
};

function owned(resource: ControlplaneResource, o: Readonly<Record<string, unknown>>): string {
  return canonicalJson(OWNED_FIELDS[resource].map((f) => o[f] ?? null));
}

function resourceVersion(o: ApiObject): number {
  return Number(o.metadata?.resourceVersion ?? 0);
}

function describe(resource: ControlplaneResource, body: ApiObject): string {
  const span = Array.isArray(body.span) ? `span [${body.span.join(",")}]` : "";
  if (resource === "networkpolicies") {
    const p = body as unknown as ControlplaneNetworkPolicy;
    return `${formatSourceRef(p.sourceRef)}: ${p.rules.length} rules, appliedTo [${p.appliedToGroups.join(",")}], ${span}`;
  }
  const members = Array.isArray(body.groupMembers) ? body.groupMembers.length : 0;
  return `${members} members, ${span}`;
}

export class ControlplaneWriter {
  private readonly mirror: Record<ControlplaneResource, Map<string, ApiObject>> = {
    networkpolicies: new Map(),
    addressgroups: new Map(),
    appliedtogroups: new Map(),
  };

  constructor(
    private readonly objects: CustomObjects,
    private readonly log: Logger,
  ) {}

  /** Feeds a watch event of one of the three kinds into the mirror; stale events are ignored. */
  observe(resource: ControlplaneResource, type: ChangeType, o: ApiObject): void {
    const name = o.metadata?.name ?? "";
    const known = this.mirror[resource].get(name);
    if (known && resourceVersion(known) > resourceVersion(o)) return;
    if (type === "delete") this.mirror[resource].delete(name);
    else this.mirror[resource].set(name, o);
  }

  /** The published controlplane NetworkPolicy (with the agents' status), if readable. */
  networkPolicy(name: string): ControlplaneNetworkPolicy | undefined {
    const o = this.mirror.networkpolicies.get(name);
    const parsed = o ? controlplaneNetworkPolicySchema.safeParse(o) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }

  /** Makes the API hold exactly the desired objects; false if a write failed (the next sync retries). */
  async sync(desired: DesiredState): Promise<boolean> {
    const policies = new Map([...desired.networkPolicies].map(([n, p]) => [n, policyObject(n, p)]));
    const addressGroups = new Map(
      [...desired.addressGroups].map(([n, g]) => [n, groupObject("AddressGroup", n, g)]),
    );
    const appliedToGroups = new Map(
      [...desired.appliedToGroups].map(([n, g]) => [n, groupObject("AppliedToGroup", n, g)]),
    );
    const results = [
      ...(await Promise.all([
        this.upsertAll("addressgroups", addressGroups),
        this.upsertAll("appliedtogroups", appliedToGroups),
      ])),
      await this.upsertAll("networkpolicies", policies),
      await this.deleteAbsent("networkpolicies", policies),
      ...(await Promise.all([
        this.deleteAbsent("addressgroups", addressGroups),
        this.deleteAbsent("appliedtogroups", appliedToGroups),
      ])),
    ];
    return results.every(Boolean);
  }

  private ref(resource: ControlplaneResource) {
    return { group: CONTROLPLANE_GROUP, version: CONTROLPLANE_VERSION, plural: resource };
  }

  private async upsertAll(resource: ControlplaneResource, wanted: Map<string, ApiObject>): Promise<boolean> {
    const writes = [...wanted].filter(([name, body]) => {
      const current = this.mirror[resource].get(name);
      return !current || owned(resource, current) !== owned(resource, body);
    });
    const done = await Promise.all(writes.map(([name, body]) => this.upsert(resource, name, body)));
    return done.every(Boolean);
  }

  private async upsert(resource: ControlplaneResource, name: string, body: ApiObject): Promise<boolean> {
    const exists = this.mirror[resource].has(name);
    try {
      let stored: ApiObject;
      try {
        stored = exists
          ? await this.objects.replace(this.ref(resource), name, body)
          : await this.objects.create(this.ref(resource), body);
      } catch (err) {
        // The mirror was behind: the object was deleted, or created, meanwhile.
        const code = apiErrorCode(err);
        if (exists && code === 404) stored = await this.objects.create(this.ref(resource), body);
        else if (!exists && code === 409) stored = await this.objects.replace(this.ref(resource), name, body);
        else throw err;
      }
      this.observe(resource, "update", stored);
      this.log.info(`${exists ? "updated" : "created"} ${resource} ${name} (${describe(resource, body)})`);
      return true;
    } catch (err) {
      this.log.warn(`cannot write ${resource} ${name}: ${describeApiError(err)}`);
      return false;
    }
  }

  private async deleteAbsent(
    resource: ControlplaneResource,
    wanted: Map<string, ApiObject>,
  ): Promise<boolean> {
    const stale = [...this.mirror[resource].keys()].filter((name) => !wanted.has(name));
    const done = await Promise.all(
      stale.map(async (name) => {
        try {
          await this.objects.remove(this.ref(resource), name);
        } catch (err) {
          if (apiErrorCode(err) !== 404) {
            this.log.warn(`cannot delete ${resource} ${name}: ${describeApiError(err)}`);
            return false;
          }
        }
        this.mirror[resource].delete(name);
        this.log.info(`deleted ${resource} ${name}`);
        return true;
      }),
    );
    return done.every(Boolean);
  }
}

function policyObject(name: string, p: DesiredPolicy): ApiObject {
  return {
    apiVersion: CONTROLPLANE_API_VERSION,
    kind: "NetworkPolicy",
    metadata: { name },
    ...p.body,
    span: p.span,
  } satisfies Omit<ControlplaneNetworkPolicy, "metadata"> & ApiObject;
}

function groupObject(kind: "AddressGroup" | "AppliedToGroup", name: string, g: DesiredGroup): ApiObject {
  return {
    apiVersion: CONTROLPLANE_API_VERSION,
    kind,
    metadata: { name },
    groupMembers: g.groupMembers,
    span: g.span,
  } satisfies Omit<AddressGroup | AppliedToGroup, "metadata"> & ApiObject;
}
