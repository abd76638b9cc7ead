/**
 * VLAN ranges per physical network (Neutron's ML2 `network_vlan_ranges`): which VLAN ids the
 * cloud may give a vlan network whose creator names no id, and which physical networks carry
 * vlan networks at all. Pure: the web app parses its NIMBUS_NETWORK_VLAN_RANGES with
 * `parseVlanRanges` and hands the result to core in its services.
 */

/** The VLAN ids an 802.1Q tag can carry (0 and 4095 are reserved; the database checks the same). */
export const MIN_VLAN_ID = 1;
export const MAX_VLAN_ID = 4094;

export type { VlanRanges } from "../settings";

const PHYSNET = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Parses Neutron's form: comma-separated `<physnet>:<first>:<last>` or a bare `<physnet>` (vlan
 * networks may use it, with ids their creator names). Throws with the entry that does not fit.
 */
export function parseVlanRanges(text: string): Map<string, [number, number][]> {
  const ranges = new Map<string, [number, number][]>();
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [physnet, first, last, ...rest] = entry.split(":");
    if (!physnet || !PHYSNET.test(physnet) || rest.length > 0 || (first === undefined) !== (last === undefined)) {
      throw new Error(`"${entry}" is not <physical network>:<first VLAN id>:<last VLAN id> or a physical network's name.`);
    }
    const list = ranges.get(physnet) ?? [];
    ranges.set(physnet, list);
    if (first === undefined || last === undefined) continue;
    const [lo, hi] = [Number(first), Number(last)];
    for (const id of [lo, hi]) {
      if (!Number.isInteger(id) || id < MIN_VLAN_ID || id > MAX_VLAN_ID) {
        throw new Error(`"${entry}": a VLAN id is a whole number from ${MIN_VLAN_ID} to ${MAX_VLAN_ID}.`);
      }
    }
    if (hi < lo) throw new Error(`"${entry}": the range ends before it starts.`);
    list.push([lo, hi]);
  }
  return ranges;
}

/** The lowest id of `ranges` that `used` does not hold (Neutron takes any free one); null when every id is taken. */
export function pickVlanId(ranges: readonly (readonly [number, number])[], used: Iterable<number>): number | null {
  const taken = new Set(used);
  const ordered = [...ranges].sort((a, b) => a[0] - b[0]);
  for (const [lo, hi] of ordered) {
    for (let id = lo; id <= hi; id++) if (!taken.has(id)) return id;
  }
  return null;
}
