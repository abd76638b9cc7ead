import type { OsCall, OsReply } from "../service";
import { intParam } from "../wire";
import { NeutronFault } from "./faults";

/**
 * Neutron's collection queries over the resources a core verb returned (the verb decides what
 * the caller may see; these only narrow it as Neutron's API does): filters by any attribute
 * (`name=web&shared=true`, a repeated key matches any of its values), `fields` to pick
 * attributes, `sort_key`/`sort_dir`, and `limit`/`marker` pages with a `<collection>_links` next link.
 */

export type WireItem = Record<string, unknown>;

const RESERVED = new Set(["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"]);
/** Tag filters: Nimbus resources have no tags, so `tags`/`tags-any` match nothing and `not-tags*` everything. */
const TAG_FILTERS = new Set(["tags-any", "not-tags", "not-tags-any"]);

function valueMatches(actual: unknown, wanted: string): boolean {
  if (actual === null || actual === undefined) return wanted === "" || wanted.toLowerCase() === "none";
  if (typeof actual === "boolean") return wanted.toLowerCase() === String(actual);
  if (Array.isArray(actual)) return actual.some((entry) => valueMatches(entry, wanted));
  if (typeof actual === "object") return false;
  return String(actual) === wanted;
}

/** `fixed_ips=ip_address=10.0.0.5`, `fixed_ips=subnet_id=<id>`, `fixed_ips=ip_address_substr=10.0`: every one must match an address of the port. */
function fixedIpsMatch(actual: unknown, wanted: string[]): boolean {
  const ips = Array.isArray(actual) ? (actual as { ip_address: string; subnet_id: string }[]) : [];
  return wanted.every((spec) => {
    const [key = "", value = ""] = spec.split(/=(.*)/s);
    if (key === "ip_address") return ips.some((ip) => ip.ip_address === value);
    if (key === "subnet_id") return ips.some((ip) => ip.subnet_id === value);
    if (key === "ip_address_substr") return ips.some((ip) => ip.ip_address.includes(value));
    throw new NeutronFault(
      400,
      "HTTPBadRequest",
      `Invalid input for fixed_ips. Reason: ${spec.slice(0, 64)} is not ip_address=, subnet_id= or ip_address_substr=.`,
    );
  });
}

/** The items that match every filter of the query; a filter on an attribute the resource does not have is a 400, as Neutron's. */
export function filtered(query: URLSearchParams, items: WireItem[], attributes: readonly string[]): WireItem[] {
  const known = new Set(attributes);
  let result = items;
  for (const key of new Set(query.keys())) {
    if (RESERVED.has(key)) continue;
    const wanted = query.getAll(key);
    if (TAG_FILTERS.has(key)) {
      if (key === "tags-any") result = [];
      continue;
    }
    if (!known.has(key)) throw new NeutronFault(400, "HTTPBadRequest", `['${key.slice(0, 64)}'] is invalid attribute for filtering`);
    result =
      key === "fixed_ips"
        ? result.filter((item) => fixedIpsMatch(item[key], wanted))
        : result.filter((item) => key in item && wanted.some((w) => valueMatches(item[key], w)));
  }
  return result;
}

/** Only the attributes `fields` names (all when it names none). */
export function withFields(query: URLSearchParams, item: WireItem): WireItem {
  const fields = query.getAll("fields").flatMap((f) => f.split(","));
  if (fields.length === 0) return item;
  return Object.fromEntries(Object.entries(item).filter(([key]) => fields.includes(key)));
}

function sorted(query: URLSearchParams, items: WireItem[], attributes: readonly string[]): WireItem[] {
  const keys = query.getAll("sort_key");
  if (keys.length === 0) return items;
  const dirs = query.getAll("sort_dir");
  for (const key of keys) {
    if (!attributes.includes(key)) throw new NeutronFault(400, "HTTPBadRequest", `${key.slice(0, 64)} is an invalid attribute for sort_key`);
  }
  for (const dir of dirs) {
    if (dir !== "asc" && dir !== "desc")
      throw new NeutronFault(400, "HTTPBadRequest", `${dir.slice(0, 16)} is an invalid value for sort_dir, valid values are 'asc' and 'desc'`);
  }
  const text = (value: unknown) => (value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value));
  return [...items].sort((a, b) => {
    for (const [i, key] of keys.entries()) {
      const order = text(a[key]).localeCompare(text(b[key]), "en", { numeric: true });
      if (order !== 0) return dirs[i] === "desc" ? -order : order;
    }
    return 0;
  });
}

/**
 * A collection answer: `{ <collection>: [...], <collection>_links: [next] }` after the query's
 * filters, sort, page (`marker` is the id the previous page ended with) and fields.
 */
export function collectionReply(call: OsCall, collection: string, items: WireItem[], attributes: readonly string[]): OsReply {
  const { query } = call;
  let result = sorted(query, filtered(query, items, attributes), attributes);
  const marker = query.get("marker");
  if (marker !== null) {
    const at = result.findIndex((item) => item.id === marker);
    if (at < 0) throw new NeutronFault(400, "HTTPBadRequest", `Invalid marker: ${marker.slice(0, 64)} is not in this collection.`);
    result = result.slice(at + 1);
  }
  const limit = intParam(query, "limit", { min: 0, max: 100_000 });
  const body: Record<string, unknown> = {};
  if (limit !== null && limit > 0 && result.length > limit) {
    result = result.slice(0, limit);
    const next = new URLSearchParams(query);
    next.set("marker", String(result.at(-1)!.id));
    next.set("limit", String(limit));
    body[`${collection}_links`] = [{ rel: "next", href: `${call.baseUrl}/network/v2.0/${collection.replaceAll("_", "-")}?${next}` }];
  }
  body[collection] = result.map((item) => withFields(query, item));
  return { status: 200, body };
}

/** One resource, `fields` applied. */
export const itemReply = (call: OsCall, key: string, item: WireItem, status = 200): OsReply => ({
  status,
  body: { [key]: withFields(call.query, item) },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whether a path segment can be an id (clients look a name up by id first, and take a 404 as "try the name"). */
export const isUuid = (value: string) => UUID.test(value);

/** The most items one page holds (Neutron's pagination_max_limit): a list with more links the next page. */
export const MAX_PAGE = 1000;

/** A page of wire items as a core list gives it, with its keyset cursors. */
export interface WirePage {
  items: WireItem[];
  next: string | null;
  prev: string | null;
}

/**
 * How a Neutron collection is read from a core list that filters, sorts and pages in SQL: which
 * query filters become core input (a filter that returns undefined cannot be said in SQL), which
 * sort keys core orders by, and the page verb itself (core's own input, checked again by zod).
 */
export interface PagedSource {
  filters: Record<string, (values: string[]) => Record<string, unknown> | undefined>;
  sortKeys: Record<string, string>;
  page(input: Record<string, unknown>): Promise<WirePage>;
}

const bool = (values: string[]) =>
  values.length === 1 && ["true", "false"].includes(values[0]!.toLowerCase()) ? values[0]!.toLowerCase() === "true" : undefined;
/** A filter on a boolean attribute: `field` true or false (any other spelling is left to the in-memory filter). */
export const boolFilter = (field: string) => (values: string[]) => {
  const value = bool(values);
  return value === undefined ? undefined : { [field]: value };
};
/** A filter on ids: any of the values, each an id (a value that is none matches nothing, as in memory). */
export const idsFilter = (field: string) => (values: string[]) => (values.every(isUuid) && values.length <= 100 ? { [field]: values } : undefined);

/** The core input a query asks for, or null when a filter or sort cannot be said in SQL. */
function sqlInput(query: URLSearchParams, attributes: readonly string[], source: PagedSource): Record<string, unknown> | null {
  const input: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    if (RESERVED.has(key)) continue;
    if (!attributes.includes(key) && !TAG_FILTERS.has(key))
      throw new NeutronFault(400, "HTTPBadRequest", `['${key.slice(0, 64)}'] is invalid attribute for filtering`);
    const part = source.filters[key]?.(query.getAll(key));
    if (!part || Object.keys(part).some((field) => field in input)) return null;
    Object.assign(input, part);
  }
  const keys = query.getAll("sort_key");
  const dirs = query.getAll("sort_dir");
  for (const key of keys) {
    if (!attributes.includes(key)) throw new NeutronFault(400, "HTTPBadRequest", `${key.slice(0, 64)} is an invalid attribute for sort_key`);
  }
  for (const dir of dirs) {
    if (dir !== "asc" && dir !== "desc")
      throw new NeutronFault(400, "HTTPBadRequest", `${dir.slice(0, 16)} is an invalid value for sort_dir, valid values are 'asc' and 'desc'`);
  }
  // One key core sorts by, optionally then the id (every core order ends in the id).
  if (keys.length > 2 || (keys.length === 2 && keys[1] !== "id")) return null;
  if (keys.length > 0) {
    const sort = source.sortKeys[keys[0]!];
    if (!sort) return null;
    input.sort = sort;
    input.direction = dirs[0] ?? "asc";
  }
  return input;
}

/**
 * A collection answer read a page at a time from SQL: the query's filters and sort in core's
 * list, `limit` (at most MAX_PAGE, MAX_PAGE when none) rows after `marker` (before it with
 * `page_reverse`), and `<collection>_links` to the next and previous pages as Neutron writes
 * them. A query core cannot say in SQL (a filter on another attribute, a sort on several) is
 * answered by scanning the list in pages of MAX_PAGE and filtering each in memory: never the
 * whole table at once.
 */
export async function pagedCollectionReply(call: OsCall, collection: string, attributes: readonly string[], source: PagedSource): Promise<OsReply> {
  const { query } = call;
  const marker = query.get("marker");
  if (marker !== null && !isUuid(marker))
    throw new NeutronFault(400, "HTTPBadRequest", `Invalid marker: ${marker.slice(0, 64)} is not in this collection.`);
  const input = sqlInput(query, attributes, source);
  if (input === null) {
    const matching: WireItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await source.page({ limit: MAX_PAGE, ...(cursor && { cursor }) });
      matching.push(...filtered(query, page.items, attributes));
      cursor = page.next ?? undefined;
    } while (cursor);
    return collectionReply(call, collection, matching, attributes);
  }
  const limit = intParam(query, "limit", { min: 0, max: 100_000 });
  const size = limit !== null && limit > 0 ? Math.min(limit, MAX_PAGE) : MAX_PAGE;
  const reverse = query.get("page_reverse")?.toLowerCase() === "true";
  const page = await source.page({ ...input, limit: size, ...(marker !== null && { marker, beforeMarker: reverse }) });
  const body: Record<string, unknown> = { [collection]: page.items.map((item) => withFields(query, item)) };
  const link = (rel: "next" | "previous", id: unknown) => {
    const params = new URLSearchParams(query);
    params.set("limit", String(size));
    params.set("marker", String(id));
    if (rel === "previous") params.set("page_reverse", "True");
    else params.delete("page_reverse");
    return { rel, href: `${call.baseUrl}/network/v2.0/${collection.replaceAll("_", "-")}?${params}` };
  };
  const links = [
    ...(page.next && page.items.length > 0 ? [link("next", page.items.at(-1)!.id)] : []),
    ...(page.prev && page.items.length > 0 ? [link("previous", page.items[0]!.id)] : []),
  ];
  if (links.length > 0) body[`${collection}_links`] = links;
  return { status: 200, body };
}
