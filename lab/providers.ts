// Provider lookup by name. The kind provider registers here when it exists.
import { NetnsProvider } from "./netns/provider.ts";
import type { Provider, ProviderName } from "./provider.ts";

export function providerFor(name: ProviderName): Provider {
  switch (name) {
    case "netns":
      return new NetnsProvider();
    case "kind":
      throw new Error("provider kind is not available yet in this version of ovslab; use provider netns");
  }
}
