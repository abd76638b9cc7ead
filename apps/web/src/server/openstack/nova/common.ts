import { z } from "zod";
import { atLeast, badRequest, OsRefusal, type OsCall } from "../service";
import { intParam } from "../wire";

/**
 * What the admin-side Nova routes (flavors, key pairs, server groups, quotas, limits, zones,
 * hypervisors, services, aggregates) share: ids as Nova checks them, microversion gates, query
 * strings as Nova reads them, pagination and links.
 */

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** oslo's is_uuid_like: 32 hex digits, dashes optional. */
export const isUuidLike = (text: string) => UUID.test(text);
/** A UUID in its canonical form (dashes, lower case), or null. */
export function canonicalUuid(text: string): string | null {
  if (!isUuidLike(text)) return null;
  const hex = text.replaceAll("-", "").toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A route that exists from microversion `min` on: below it Nova answers 404, as for an unknown URL. */
export function requireVersion(call: OsCall, min: string): void {
  if (!atLeast(call, min)) throw new OsRefusal(404, "NotFound", "The resource could not be found.");
}

/**
 * From microversion 2.75 Nova refuses query parameters a route does not know (before it ignores
 * them); `from` moves that line for routes that tightened later (2.102).
 */
export function checkQuery(call: OsCall, known: readonly string[], from = "2.75"): void {
  if (!atLeast(call, from)) return;
  const unknown = [...new Set(call.query.keys())].filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw badRequest(
      `Invalid input for query parameters ${unknown.map((k) => k.slice(0, 64)).join(", ")}. Value: Additional properties are not allowed.`,
    );
  }
}

const TRUE = new Set(["1", "t", "true", "on", "y", "yes"]);
const FALSE = new Set(["0", "f", "false", "off", "n", "no"]);
/** oslo's bool_from_string(strict=True), or null when the text is neither. */
export function strictBool(text: string): boolean | null {
  const value = text.trim().toLowerCase();
  return TRUE.has(value) ? true : FALSE.has(value) ? false : null;
}

/** Nova's JSON booleans (parameter_types.boolean): true, false and their usual spellings. */
export const novaBoolean = z.union([
  z.boolean(),
  z
    .string()
    .transform(
      (v, ctx) => strictBool(v) ?? (ctx.addIssue({ code: "custom", message: `${JSON.stringify(v.slice(0, 16))} is not a boolean` }), z.NEVER),
    ),
]);

/** Nova's api.max_limit: the most items one page holds. */
export const MAX_PAGE = 1000;

/** `limit` and `marker` as Nova reads them (a negative or non-integer limit is a 400). */
export function limitAndMarker(call: OsCall): { limit: number; marker: string | null } {
  const limit = intParam(call.query, "limit", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? MAX_PAGE;
  return { limit: Math.min(limit, MAX_PAGE), marker: call.query.get("marker") };
}

/** The page after `marker` (Nova: an unknown marker is a 400), at most `limit` long. */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => string, { limit, marker }: { limit: number; marker: string | null }): T[] {
  let start = 0;
  if (marker !== null) {
    const at = items.findIndex((item) => keyOf(item) === marker);
    if (at < 0) throw badRequest(`marker [${marker.slice(0, 64)}] not found`);
    start = at + 1;
  }
  return items.slice(start, start + limit);
}

/** A full page's `next` link (Nova's `*_links`): the same query with the last item as marker. */
export function nextLinks<T>(call: OsCall, path: string, page: readonly T[], keyOf: (item: T) => string, limit: number) {
  if (page.length === 0 || page.length < limit) return null;
  const query = new URLSearchParams(call.query);
  query.set("limit", String(limit));
  query.set("marker", keyOf(page[page.length - 1]!));
  return [{ rel: "next", href: `${call.baseUrl}/compute/v2.1/${path}?${query.toString()}` }];
}

/** A resource's `links` as Nova writes them: the versioned URL and the bookmark without the version. */
export const resourceLinks = (call: OsCall, collection: string, id: string | number) => [
  { rel: "self", href: `${call.baseUrl}/compute/v2.1/${collection}/${id}` },
  { rel: "bookmark", href: `${call.baseUrl}/compute/${collection}/${id}` },
];

/** Nova's datetime without a zone, as most of its older views write it: `2026-12-07T14:44:21.000000`. */
export const naiveTime = (at: Date | null | undefined) => (at ? `${at.toISOString().slice(0, 19)}.000000` : null);
