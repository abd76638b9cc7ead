import type { ResourceImpact } from "./launch-impact";

export interface Shares {
  /** In use before the launch. */
  used: number;
  /** The part of this launch that fits under the limit. */
  launch: number;
  /** The part of this launch beyond the limit (what the server would refuse). */
  over: number;
  /** Left after the launch. */
  free: number;
}

/**
 * How far past the limit the chart draws: an excess is shown as over, up to this share, and its
 * size is in the figures beneath (a 10,000 % excess would otherwise squash every other bar).
 */
export const OVER_SHOWN = 20;

/** Shares of the limit (100 = the limit) per part; null without a limit. An excess runs past 100, at most OVER_SHOWN. */
export function shares({ limit, used, requested }: Pick<ResourceImpact, "limit" | "used" | "requested">): Shares | null {
  if (limit < 0) return null;
  if (limit === 0) return { used: 0, launch: 0, over: requested > 0 ? OVER_SHOWN : 0, free: requested > 0 ? 0 : 100 };
  const usedPct = Math.min((used / limit) * 100, 100);
  const room = 100 - usedPct;
  const requestedPct = (requested / limit) * 100;
  const launch = Math.min(requestedPct, room);
  const over = Math.min(requestedPct - launch + Math.max(0, (used / limit) * 100 - 100), OVER_SHOWN);
  // Free is what the rounded parts leave, so the parts of a launch that fits add up to exactly 100.
  const [usedShown, launchShown] = [round(usedPct), round(launch)];
  return { used: usedShown, launch: launchShown, over: round(over), free: round(100 - usedShown - launchShown) };
}
const round = (n: number) => Math.round(n * 10) / 10;
