// The controller's configuration file (JSON), written by the lab for the control-plane node. A relative
// kubeconfig path is resolved against the file's directory.
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";

export const controllerConfigSchema = z.strictObject({
  /** Credentials and server of the Kubernetes API. */
  kubeconfig: z.string().min(1),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type ControllerConfigInput = z.input<typeof controllerConfigSchema>;
export type ControllerConfig = z.output<typeof controllerConfigSchema>;

/** Validates a configuration object; `source` names it in errors. */
export function parseControllerConfig(input: unknown, source = "controller config"): ControllerConfig {
  const parsed = controllerConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid ${source}: ${issues.join("; ")}`);
  }
  return parsed.data;
}

export async function loadControllerConfig(path: string): Promise<ControllerConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read controller config ${path}: ${(err as Error).message}`);
  }
  const config = parseControllerConfig(json, `controller config ${path}`);
  const kubeconfig = isAbsolute(config.kubeconfig)
    ? config.kubeconfig
    : resolve(dirname(resolve(path)), config.kubeconfig);
  return { ...config, kubeconfig };
}
