// What the flow builders need to know about the node they run on.
import type { Pipeline } from "../pipeline/tables.ts";

export interface LocalNode {
  readonly pipeline: Pipeline;
  /** The node's Pod CIDR, e.g. 10.244.1.0/24. */
  readonly podCIDR: string;
  /** antrea-gw0's address: the first address of the Pod CIDR. */
  readonly gatewayIP: string;
  readonly gatewayMAC: string;
  readonly gatewayOfport: number;
  readonly tunnelOfport: number;
  /** The node's transport address (its InternalIP), the tunnel endpoint peers send to. */
  readonly nodeIP: string;
}
