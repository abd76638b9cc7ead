/**
 * Hostile inputs generated from a zod schema itself, so that a field added tomorrow is probed
 * without anyone listing it: for every text field a NUL and a lone surrogate, for every number
 * a value past its range, for every list of ids the same id twice. Each probe is the smallest
 * input that puts the bad value at its place (other fields are left out or minimal: the answer
 * must name the probed field whatever else is wrong).
 */
import type { z } from "zod";

export type ProbeKind = "text" | "formatted-text" | "number" | "id-list";

export interface FieldProbe {
  kind: ProbeKind;
  /** Where the value sits, e.g. `metadata.<key>`, `bootSource.sizeGb`, `volumes`. */
  field: string;
  /** The top-level field the answer's fieldErrors names. */
  topField: string;
  /** The field's own schema (the string, the number, the array). */
  schema: z.ZodType;
  /** The whole input with `value` at the field's place. */
  inputWith(value: unknown): unknown;
}

/** Zod 4's definition of a schema, as far as the walk reads it. */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
  entries?: Record<string, unknown>;
  format?: string;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "nonoptional", "readonly", "catch"]);

/** The schema under optional/nullable/default/pipe wrappers. */
export function unwrapped(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return unwrapped(def.innerType);
  if (def.type === "pipe" && def.in) return unwrapped(def.in);
  return schema;
}

/** The literal fields of an object (a discriminated union's tag): a probe inside that option must carry them. */
function literalsOf(shape: Record<string, z.ZodType>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const def = defOf(unwrapped(field));
    if (def.type === "literal" && def.values?.length === 1) out[key] = def.values[0];
  }
  return out;
}

const isUuid = (schema: z.ZodType) => defOf(unwrapped(schema)).format === "uuid";

/** An array's item that names something by id: an id, or an object whose id field says which. */
function idOfItem(element: z.ZodType): ((id: string) => unknown) | null {
  if (isUuid(element)) return (id) => id;
  const def = defOf(unwrapped(element));
  if (def.type !== "object" || !def.shape) return null;
  const idField = Object.entries(def.shape).find(([, field]) => isUuid(field));
  if (!idField) return null;
  const literals = literalsOf(def.shape);
  return (id) => ({ ...literals, [idField[0]]: id });
}

export function fieldProbes(schema: z.ZodType): FieldProbe[] {
  const probes: FieldProbe[] = [];
  const walk = (node: z.ZodType, path: string[], inputWith: (value: unknown) => unknown) => {
    const def = defOf(node);
    const field = path.join(".");
    const topField = path[0] ?? "";
    if (WRAPPERS.has(def.type) && def.innerType) return walk(def.innerType, path, inputWith);
    if (def.type === "pipe" && def.in) return walk(def.in, path, inputWith);
    switch (def.type) {
      case "object": {
        const shape = def.shape ?? {};
        const literals = literalsOf(shape);
        for (const [key, child] of Object.entries(shape)) walk(child, [...path, key], (value) => inputWith({ ...literals, [key]: value }));
        return;
      }
      case "array": {
        walk(def.element!, [...path, "0"], (value) => inputWith([value]));
        const item = idOfItem(def.element!);
        if (item) probes.push({ kind: "id-list", field, topField, schema: node, inputWith: (id) => inputWith([item(String(id)), item(String(id))]) });
        return;
      }
      case "record": {
        // A record keyed by an enum (quota limits by resource) takes one of its keys.
        const keyDef = defOf(unwrapped(def.keyType!));
        const key = keyDef.type === "enum" && keyDef.entries ? String(Object.values(keyDef.entries)[0]) : "key";
        walk(def.keyType!, [...path, "<key>"], (bad) => inputWith({ [String(bad)]: "value" }));
        walk(def.valueType!, [...path, key], (value) => inputWith({ [key]: value }));
        return;
      }
      case "union":
        for (const option of def.options ?? []) walk(option, path, inputWith);
        return;
      case "string":
        probes.push({ kind: def.format ? "formatted-text" : "text", field, topField, schema: node, inputWith });
        return;
      case "number":
        probes.push({ kind: "number", field, topField, schema: node, inputWith });
        return;
      default:
        return;
    }
  };
  walk(schema, [], (value) => value);
  return probes;
}

/** The largest value a number schema takes (a safe integer for `.int()`, Infinity with no bound). */
export function maxOf(schema: z.ZodType): number {
  return (schema as unknown as { maxValue: number | null }).maxValue ?? Number.POSITIVE_INFINITY;
}
