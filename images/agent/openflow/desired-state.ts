// The agent's in-memory picture of what br-int must contain: flows by owner (a Pod, a peer Node, a Service port,
// the pipeline defaults ...) and groups by id. Changes are made in transactions, which yield the `ovs-ofctl
// bundle` lines that move OVS from the old picture to the new one; the whole picture can be reinstalled at any
// time (after ovs-vswitchd restarts, flows are gone). Two owners may need the same flow (same table, priority and
// match, e.g. the DNAT flow of an Endpoint shared by two Services): it stays until its last owner lets go.
import { type Flow, flowKey, type Group, renderFlow, renderFlowMatch, renderGroup } from "./flow.ts";

export class DesiredState {
  /** flow key -> owner -> flow; the last owner's version is the one installed. */
  private readonly byKey = new Map<string, Map<string, Flow>>();
  private readonly byOwner = new Map<string, readonly Flow[]>();
  private readonly groupsById = new Map<number, Group>();

  begin(): Transaction {
    return new Transaction(this);
  }

  flows(): Flow[] {
    return [...this.byKey.values()].map((owners) => [...owners.values()].at(-1)!);
  }

  flowsOf(owner: string): readonly Flow[] {
    return this.byOwner.get(owner) ?? [];
  }

  groups(): Group[] {
    return [...this.groupsById.values()].sort((a, b) => a.id - b.id);
  }

  group(id: number): Group | undefined {
    return this.groupsById.get(id);
  }

  /** Number of distinct flows OVS should hold. */
  get flowCount(): number {
    return this.byKey.size;
  }

  /** @internal the installed version of a flow key. */
  effective(key: string): Flow | undefined {
    const owners = this.byKey.get(key);
    return owners ? [...owners.values()].at(-1) : undefined;
  }

  /** @internal replaces an owner's flows without bookkeeping; returns the keys touched. */
  replaceOwner(owner: string, flows: readonly Flow[]): Set<string> {
    const touched = new Set<string>();
    for (const f of this.byOwner.get(owner) ?? []) {
      const key = flowKey(f);
      touched.add(key);
      const owners = this.byKey.get(key);
      owners?.delete(owner);
      if (owners?.size === 0) this.byKey.delete(key);
    }
    const unique = new Map<string, Flow>();
    for (const f of flows) unique.set(flowKey(f), f);
    for (const [key, f] of unique) {
      touched.add(key);
      let owners = this.byKey.get(key);
      if (!owners) {
        owners = new Map();
        this.byKey.set(key, owners);
      }
      owners.set(owner, f);
    }
    if (unique.size) this.byOwner.set(owner, [...unique.values()]);
    else this.byOwner.delete(owner);
    return touched;
  }

  /** @internal */
  putGroup(id: number, group: Group | undefined): void {
    if (group) this.groupsById.set(id, group);
    else this.groupsById.delete(id);
  }
}

/** A set of changes; `lines()` gives the bundle that applies them, `rollback()` undoes them in memory. */
export class Transaction {
  private readonly ownersBefore = new Map<string, readonly Flow[]>();
  private readonly groupsBefore = new Map<number, Group | undefined>();
  /** flow key -> installed flow before the transaction */
  private readonly keysBefore = new Map<string, Flow | undefined>();

  constructor(private readonly state: DesiredState) {}

  setFlows(owner: string, flows: readonly Flow[]): this {
    if (!this.ownersBefore.has(owner)) this.ownersBefore.set(owner, this.state.flowsOf(owner));
    const oldKeys = this.state.flowsOf(owner).map(flowKey);
    for (const key of [...oldKeys, ...flows.map(flowKey)]) this.remember(key);
    this.state.replaceOwner(owner, flows);
    return this;
  }

  deleteFlows(owner: string): this {
    return this.setFlows(owner, []);
  }

  setGroup(group: Group): this {
    this.rememberGroup(group.id);
    this.state.putGroup(group.id, group);
    return this;
  }

  deleteGroup(id: number): this {
    this.rememberGroup(id);
    this.state.putGroup(id, undefined);
    return this;
  }

  /**
   * `ovs-ofctl bundle` lines, ordered so that each step is valid: groups first (flows may point at them), then
   * removed and changed flows, and groups last to go (deleting a group also deletes the flows that use it).
   */
  lines(): string[] {
    const upsertGroups: string[] = [];
    const deleteGroups: string[] = [];
    for (const [id, before] of this.groupsBefore) {
      const after = this.state.group(id);
      if (after && (!before || renderGroup(before) !== renderGroup(after))) {
        upsertGroups.push(`group add_or_mod ${renderGroup(after)}`);
      } else if (!after && before) {
        deleteGroups.push(`group delete group_id=${id}`);
      }
    }
    const deletes: string[] = [];
    const adds: string[] = [];
    for (const [key, before] of this.keysBefore) {
      const after = this.state.effective(key);
      if (after && (!before || renderFlow(before) !== renderFlow(after)))
        adds.push(`flow add ${renderFlow(after)}`);
      else if (!after && before) deletes.push(`flow delete_strict ${renderFlowMatch(before)}`);
    }
    return [...upsertGroups, ...deletes, ...adds, ...deleteGroups];
  }

  rollback(): void {
    for (const [owner, flows] of this.ownersBefore) this.state.replaceOwner(owner, flows);
    for (const [id, group] of this.groupsBefore) this.state.putGroup(id, group);
  }

  private remember(key: string): void {
    if (!this.keysBefore.has(key)) this.keysBefore.set(key, this.state.effective(key));
  }

  private rememberGroup(id: number): void {
    if (!this.groupsBefore.has(id)) this.groupsBefore.set(id, this.state.group(id));
  }
}
