// Kubernetes objects named by apply and delete steps: a YAML file (several documents allowed; relative to the
// scenario file), one inline manifest, or a list. Files are checked when the scenario is loaded, with
// file:line:column positions inside the manifest file.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { z } from "zod";
import { InvalidInputError, type SourceProblem, YamlSource } from "../../../lab/common/source-file.ts";
import type { CheckEnv } from "./step-kind.ts";

export const KubeObject = z
  .looseObject({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().min(1).optional() }),
  })
  .describe("a Kubernetes object");
export type KubeObject = z.output<typeof KubeObject>;

export const ManifestShape = {
  file: z
    .string()
    .min(1)
    .optional()
    .describe("YAML file of objects (--- between them), relative to the scenario"),
  manifest: KubeObject.optional(),
  manifests: z.array(KubeObject).min(1).optional(),
  namespace: z
    .string()
    .min(1)
    .optional()
    .describe("namespace of objects that name none (default: the scenario's first namespace)"),
};

export interface ManifestSource {
  file?: string | undefined;
  manifest?: KubeObject | undefined;
  manifests?: KubeObject[] | undefined;
}

export function countSources(m: ManifestSource): number {
  return [m.file, m.manifest, m.manifests].filter((x) => x !== undefined).length;
}

export function describeSource(m: ManifestSource): string {
  if (m.file !== undefined) return m.file;
  const objects = m.manifests ?? (m.manifest ? [m.manifest] : []);
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ");
}

/** Every object of a manifest file, or the problems that keep it from being one. */
export async function readManifestFile(
  file: string,
): Promise<{ objects: KubeObject[]; problems: SourceProblem[] }> {
  const text = await readFile(file, "utf8");
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const objects: KubeObject[] = [];
  const problems: SourceProblem[] = [];
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.contents === null) continue;
    // Parse each document on its own, padded so that line and column numbers stay those of the whole file.
    const start = doc.range[0];
    const at = lines.linePos(start);
    const padded = "\n".repeat(at.line - 1) + " ".repeat(at.col - 1) + text.slice(start, doc.range[2]);
    const { source, problems: syntax } = YamlSource.parse(file, padded);
    if (syntax.length) {
      problems.push(...syntax);
      continue;
    }
    try {
      objects.push(source.validate(KubeObject));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (!objects.length && !problems.length)
    problems.push({ file, line: 1, column: 1, message: "no objects in file" });
  return { objects, problems };
}

/** Load-time check of a `file:` source. */
export async function checkManifestFile(m: ManifestSource, env: CheckEnv): Promise<SourceProblem[]> {
  if (m.file === undefined) return [];
  const file = resolve(env.dir, m.file);
  try {
    return (await readManifestFile(file)).problems;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(err);
    return [env.source.problem([...env.path, "file"], `manifest ${file}: ${why}`)];
  }
}

/** The objects of a source, as fresh copies (the Kubernetes client fills in fields of what it is given). */
export async function manifestObjects(m: ManifestSource, dir: string): Promise<KubeObject[]> {
  if (m.file !== undefined) {
    const { objects, problems } = await readManifestFile(resolve(dir, m.file));
    if (problems.length) throw new InvalidInputError(problems);
    return objects;
  }
  return structuredClone(m.manifests ?? (m.manifest ? [m.manifest] : []));
}
