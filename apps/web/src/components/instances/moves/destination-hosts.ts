/**
 * The destination choices of a move (cold or live migration): the scheduler's pick first, then
 * every host, the instance's own and down ones shown but not selectable, each saying why.
 */
export interface DestinationHost {
  hostname: string;
  state: string;
  enabled: boolean;
}

export function destinationHostOptions(
  hosts: readonly DestinationHost[],
  ownHostname: string | null,
  schedulerChoice: { value: string; label: string },
): { value: string; label: string; disabled?: boolean }[] {
  return [
    schedulerChoice,
    ...hosts.map((h) => ({
      value: h.hostname,
      label:
        h.hostname === ownHostname
          ? `${h.hostname} (its own host)`
          : h.state !== "up"
            ? `${h.hostname} (down)`
            : !h.enabled
              ? `${h.hostname} (disabled)`
              : h.hostname,
      disabled: h.hostname === ownHostname || h.state !== "up",
    })),
  ];
}
