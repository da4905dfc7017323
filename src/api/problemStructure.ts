/**
 * @module api/problemStructure
 * Which named parameters each model of a PROBLEM.json uses (through `ref`s and the
 * identifiers of `expr`s, following named parameters' own expressions), and what follows
 * from it: the groups of datasets a co-fit is made of ({@link datasetGroups}) and the
 * sub-problem of one group ({@link subProblem}). Shared by `fit --sequence` (api/fitSequence:
 * which parameters a dataset fits on its own) and the staged start of a co-fit (api/fit).
 *
 * Units: none (names and indices only).
 */
type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;

/** Names a model (or parameter spec) uses: `ref`s and the identifiers of `expr`s that are known parameter names. */
export function namesIn(value: unknown, known: ReadonlySet<string>, into: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) namesIn(v, known, into);
  else if (isRecord(value)) {
    if (typeof value["ref"] === "string") into.add(value["ref"]);
    if (typeof value["expr"] === "string") for (const id of value["expr"].match(IDENTIFIER) ?? []) if (known.has(id)) into.add(id);
    for (const [key, v] of Object.entries(value)) if (key !== "ref" && key !== "expr") namesIn(v, known, into);
  }
}

/**
 * The named parameters each model uses, directly or through named parameters' expressions.
 * @param parameters - the problem's `parameters` block
 * @param models - the problem's `models` block
 */
export function modelUses(parameters: Json, models: Json): Map<string, Set<string>> {
  const known = new Set(Object.keys(parameters));
  const direct = new Map<string, Set<string>>();
  for (const name of known) {
    const into = new Set<string>();
    namesIn(parameters[name], known, into);
    direct.set(name, into);
  }
  const uses = new Map<string, Set<string>>();
  for (const [modelId, model] of Object.entries(models)) {
    const used = new Set<string>();
    namesIn(model, known, used);
    const queue = [...used];
    while (queue.length > 0) {
      for (const n of direct.get(queue.pop()!) ?? []) {
        if (used.has(n)) continue;
        used.add(n);
        queue.push(n);
      }
    }
    uses.set(modelId, used);
  }
  return uses;
}

/** A named parameter that varies: a spec with `"vary": true` and no expression. */
export function isVaryingSpec(spec: unknown): boolean {
  return isRecord(spec) && spec["vary"] === true && !Object.hasOwn(spec, "expr");
}

/**
 * The groups of datasets a co-fit is made of: datasets are in one group when they have the
 * same model or share a varying named parameter that not every dataset uses. Parameters every
 * dataset uses (a solvent's SLD, a film's SLD measured in every state) do not join groups, so
 * the states of a multi-state co-fit — each with its own layers and per-angle intensities,
 * sharing only such parameters — come out as one group each. Groups are returned only when
 * each owns more varying parameters than all of them share (so not the per-angle datasets of
 * one state, which share the whole stack and own an intensity each).
 * @returns the groups (dataset indices, ascending, groups in order of their first dataset), or
 *   undefined when the problem is one group (or malformed: the caller's parser says why)
 */
export function datasetGroups(raw: Json): number[][] | undefined {
  const parameters = raw["parameters"] ?? {};
  const models = raw["models"];
  const datasets = raw["datasets"];
  if (!isRecord(parameters) || !isRecord(models) || !Array.isArray(datasets) || datasets.length < 2) return undefined;
  const modelOf = datasets.map((d) => (isRecord(d) ? String(d["model"]) : ""));
  if (modelOf.some((m) => !Object.hasOwn(models, m))) return undefined;
  const uses = modelUses(parameters, models);
  const varyingOf = modelOf.map((m) => [...uses.get(m)!].filter((name) => isVaryingSpec(parameters[name])));
  const count = new Map<string, number>();
  for (const names of varyingOf) for (const name of names) count.set(name, (count.get(name) ?? 0) + 1);
  const parent = datasets.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i])));
  const join = (a: number, b: number): void => {
    const [ra, rb] = [root(a), root(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const firstWith = new Map<string, number>();
  modelOf.forEach((model, i) => {
    const keys = [`model:${model}`, ...varyingOf[i].filter((name) => count.get(name)! < datasets.length).map((name) => `parameter:${name}`)];
    for (const key of keys) {
      const first = firstWith.get(key);
      if (first === undefined) firstWith.set(key, i);
      else join(first, i);
    }
  });
  const groups = new Map<number, number[]>();
  datasets.forEach((_, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), i]));
  if (groups.size < 2) return undefined;
  // groups are stages only when each is mostly its own problem: it owns more varying parameters
  // than all share (the per-angle datasets of one state own an intensity each and share the
  // whole stack: fitted alone, one angle's narrow Q range would not determine the stack)
  const common = [...count].filter(([, n]) => n === datasets.length).length;
  const owned = (group: number[]): number => {
    const names = new Set(group.flatMap((i) => varyingOf[i].filter((name) => count.get(name)! < datasets.length)));
    const inline = [...new Set(group.map((i) => modelOf[i]))].reduce((sum, m) => sum + inlineVarying(models[m]), 0);
    return names.size + inline;
  };
  const list = [...groups.values()];
  return list.every((group) => owned(group) > common) ? list : undefined;
}

/** How many varying parameters a model writes inline (`{"value": v, "vary": true}` in a field). */
function inlineVarying(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + inlineVarying(v), 0);
  if (!isRecord(value)) return 0;
  if (value["vary"] === true && typeof value["value"] === "number") return 1;
  return Object.values(value).reduce((sum: number, v) => sum + inlineVarying(v), 0);
}

/**
 * The problem restricted to some datasets: those datasets, their models and the named
 * parameters those models use (through expressions too); `fit` is kept without `sequence`.
 */
export function subProblem(raw: Json, indices: readonly number[]): Json {
  const datasets = (raw["datasets"] as unknown[]).filter((_, i) => indices.includes(i));
  const models = raw["models"] as Json;
  const parameters = (raw["parameters"] ?? {}) as Json;
  const used = new Set(datasets.map((d) => String((d as Json)["model"])));
  const uses = modelUses(parameters, models);
  const names = new Set([...used].flatMap((m) => [...uses.get(m)!]));
  const fitSpec = isRecord(raw["fit"]) ? { ...raw["fit"] } : undefined;
  if (fitSpec) delete fitSpec["sequence"];
  return {
    ...raw,
    datasets: structuredClone(datasets),
    models: Object.fromEntries(Object.entries(models).filter(([id]) => used.has(id)).map(([id, m]) => [id, structuredClone(m)])),
    parameters: Object.fromEntries(Object.entries(parameters).filter(([name]) => names.has(name)).map(([name, p]) => [name, structuredClone(p)])),
    ...(fitSpec ? { fit: fitSpec } : {}),
  };
}
