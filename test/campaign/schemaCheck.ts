/**
 * A small JSON Schema (draft 2020-12) checker for the subset `schema/campaign.schema.json`
 * uses. Any other keyword in a schema is an error, so the published schema can only
 * use what is checked here. Returns the instance locations (JSON paths in the
 * manifest validator's spelling, `cells[0].stack[2].thickness_A`) that fail.
 */

type Schema = boolean | { [keyword: string]: unknown };

const KNOWN = new Set([
  "$schema",
  "$id",
  "$defs",
  "$ref",
  "title",
  "description",
  "type",
  "properties",
  "required",
  "items",
  "minItems",
  "enum",
  "const",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "minLength",
  "pattern",
  "format",
  "anyOf",
  "oneOf",
  "allOf",
  "not",
  "if",
  "then",
  "else",
  "dependentRequired",
  "additionalProperties",
]);

export interface SchemaFailure {
  path: string;
  keyword: string;
}

/** Check that every (sub)schema uses only the supported keywords and that every `$ref` resolves. */
export function checkSchemaStructure(root: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const visit = (schema: unknown, where: string): void => {
    if (typeof schema === "boolean") return;
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      problems.push(`${where}: a schema must be an object or boolean`);
      return;
    }
    const s = schema as Record<string, unknown>;
    for (const [key, value] of Object.entries(s)) {
      if (!KNOWN.has(key)) problems.push(`${where}: unsupported keyword ${key}`);
      if (key === "$ref") {
        if (typeof value !== "string" || resolveRef(root, value) === undefined) problems.push(`${where}: unresolved $ref ${String(value)}`);
      }
      if (key === "properties" || key === "$defs") for (const [name, sub] of Object.entries(value as Record<string, unknown>)) visit(sub, `${where}/${key}/${name}`);
      if (key === "items" || key === "not" || key === "if" || key === "then" || key === "else" || key === "additionalProperties") visit(value, `${where}/${key}`);
      if (key === "anyOf" || key === "oneOf" || key === "allOf") (value as unknown[]).forEach((sub, i) => visit(sub, `${where}/${key}/${i}`));
      if (key === "pattern") {
        try {
          new RegExp(value as string, "u");
        } catch {
          problems.push(`${where}: invalid pattern`);
        }
      }
      if (key === "type" && !["object", "array", "string", "number", "integer", "boolean", "null"].includes(value as string)) problems.push(`${where}: unknown type ${String(value)}`);
    }
  };
  visit(root, "#");
  return problems;
}

function resolveRef(root: Record<string, unknown>, ref: string): Schema | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node as Schema | undefined;
}

const childPath = (path: string, key: string | number): string => (typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`);

function typeOk(type: string, value: unknown): boolean {
  switch (type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    default:
      return false;
  }
}

/** Validate `instance` against `root`; returns every failure (empty = valid). */
export function validateAgainstSchema(root: Record<string, unknown>, instance: unknown): SchemaFailure[] {
  const failures: SchemaFailure[] = [];
  const check = (schema: Schema, value: unknown, path: string, out: SchemaFailure[]): void => {
    if (schema === true) return;
    if (schema === false) {
      out.push({ path, keyword: "false" });
      return;
    }
    const s = schema;
    if (typeof s["$ref"] === "string") check(resolveRef(root, s["$ref"])!, value, path, out);
    if (typeof s["type"] === "string" && !typeOk(s["type"], value)) {
      out.push({ path, keyword: "type" });
      return;
    }
    if ("const" in s && JSON.stringify(s["const"]) !== JSON.stringify(value)) out.push({ path, keyword: "const" });
    if (Array.isArray(s["enum"]) && !s["enum"].some((e) => JSON.stringify(e) === JSON.stringify(value))) out.push({ path, keyword: "enum" });
    if (typeof value === "number") {
      if (typeof s["minimum"] === "number" && !(value >= s["minimum"])) out.push({ path, keyword: "minimum" });
      if (typeof s["maximum"] === "number" && !(value <= s["maximum"])) out.push({ path, keyword: "maximum" });
      if (typeof s["exclusiveMinimum"] === "number" && !(value > s["exclusiveMinimum"])) out.push({ path, keyword: "exclusiveMinimum" });
    }
    if (typeof value === "string") {
      if (typeof s["minLength"] === "number" && [...value].length < s["minLength"]) out.push({ path, keyword: "minLength" });
      if (typeof s["pattern"] === "string" && !new RegExp(s["pattern"], "u").test(value)) out.push({ path, keyword: "pattern" });
    }
    if (Array.isArray(value)) {
      if (typeof s["minItems"] === "number" && value.length < s["minItems"]) out.push({ path, keyword: "minItems" });
      if (s["items"] !== undefined) value.forEach((item, i) => check(s["items"] as Schema, item, childPath(path, i), out));
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      if (Array.isArray(s["required"])) for (const key of s["required"] as string[]) if (!(key in o)) out.push({ path: childPath(path, key), keyword: "required" });
      if (s["properties"]) {
        for (const [key, sub] of Object.entries(s["properties"] as Record<string, Schema>)) if (key in o) check(sub, o[key], childPath(path, key), out);
      }
      if (s["additionalProperties"] !== undefined) {
        const named = (s["properties"] ?? {}) as Record<string, Schema>;
        for (const key of Object.keys(o)) if (!(key in named)) check(s["additionalProperties"] as Schema, o[key], childPath(path, key), out);
      }
      if (s["dependentRequired"]) {
        for (const [key, needs] of Object.entries(s["dependentRequired"] as Record<string, string[]>)) {
          if (key in o) for (const need of needs) if (!(need in o)) out.push({ path: childPath(path, need), keyword: "dependentRequired" });
        }
      }
    }
    const passes = (sub: Schema): boolean => {
      const local: SchemaFailure[] = [];
      check(sub, value, path, local);
      return local.length === 0;
    };
    if (Array.isArray(s["allOf"])) for (const sub of s["allOf"] as Schema[]) check(sub, value, path, out);
    if (Array.isArray(s["anyOf"]) && !(s["anyOf"] as Schema[]).some(passes)) out.push({ path, keyword: "anyOf" });
    if (Array.isArray(s["oneOf"]) && (s["oneOf"] as Schema[]).filter(passes).length !== 1) out.push({ path, keyword: "oneOf" });
    if (s["not"] !== undefined && passes(s["not"] as Schema)) out.push({ path, keyword: "not" });
    if (s["if"] !== undefined) {
      const branch = passes(s["if"] as Schema) ? s["then"] : s["else"];
      if (branch !== undefined) check(branch as Schema, value, path, out);
    }
  };
  check(root, instance, "", failures);
  return failures;
}
