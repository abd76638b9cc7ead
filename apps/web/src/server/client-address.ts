import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/** The reverse proxies whose `X-Forwarded-*` headers are believed (NIMBUS_TRUSTED_PROXIES). */
export interface TrustedProxies {
  trusts(address: string): boolean;
}

/** Proxies by address or CIDR (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`), as env.ts has checked them. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return {
    trusts(address) {
      const family = isIP(address);
      return entries.length > 0 && family !== 0 && list.check(address, family === 6 ? "ipv6" : "ipv4");
    },
  };
}

/** One hop of `X-Forwarded-For` as an address (`1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`, `::1`), or null when it is not one. */
function hopAddress(hop: string): string | null {
  const text = hop.trim();
  if (isIP(text)) return text;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1] && isIP(bracketed[1]) === 6) return bracketed[1];
  const withPort = /^([\d.]+):\d+$/.exec(text);
  if (withPort?.[1] && isIP(withPort[1]) === 4) return withPort[1];
  return null;
}

/**
 * The address of the client a request is for: the peer's, unless the peer is a trusted proxy;
 * then `X-Forwarded-For` is read from the right (each proxy appends the address it heard from),
 * skipping trusted proxies, and the first address that is not one is the client (as nginx's
 * `real_ip_recursive`). What a client wrote at the left of the header itself is never reached
 * while a proxy it does not control stands between; a hop that is not an address stops the walk.
 */
export function clientAddress(req: IncomingMessage, proxies: TrustedProxies): string | null {
  const peer = req.socket.remoteAddress ?? null;
  if (!peer || !proxies.trusts(peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").filter((h) => h.trim() !== "");
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i]!);
    if (!hop) break;
    client = hop;
    if (!proxies.trusts(hop)) break;
  }
  return client;
}

/** Whether the client reached a trusted proxy over HTTPS, as its `X-Forwarded-Proto` says (null: no trusted proxy says). */
export function forwardedHttps(req: IncomingMessage, proxies: TrustedProxies): boolean | null {
  const peer = req.socket.remoteAddress;
  const header = req.headers["x-forwarded-proto"];
  if (!peer || !proxies.trusts(peer) || typeof header !== "string") return null;
  // Each proxy may append its own; the first is what the client used.
  return header.split(",")[0]?.trim().toLowerCase() === "https";
}
