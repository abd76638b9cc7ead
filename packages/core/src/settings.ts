/** Identity knobs; the web app fills them from its environment. */
export interface IdentitySettings {
  session: { idleTimeoutMs: number; absoluteTimeoutMs: number };
  lockout: {
    /** Failed sign-ins for one user name within `windowMs` that lock it. */
    maxFailures: number;
    windowMs: number;
    /**
     * Failed sign-ins from one address within `windowMs` before it is slowed down (each further
     * attempt waits 1 s, doubling per failure); never a lockout of the users behind it.
     */
    maxFailuresPerAddress: number;
  };
  /** Default lifetime of an API token (Keystone's is 1 h). */
  apiTokenTtlMs: number;
}

export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  session: { idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 8 * 3_600_000 },
  lockout: { maxFailures: 5, windowMs: 15 * 60_000, maxFailuresPerAddress: 50 },
  apiTokenTtlMs: 3_600_000,
};

/**
 * Physical network → the inclusive VLAN id ranges the cloud may give vlan networks from
 * (Neutron's network_vlan_ranges; the web app fills it from NIMBUS_NETWORK_VLAN_RANGES with
 * `parseVlanRanges`). An empty list: the physical network is known, with nothing to give.
 */
export type VlanRanges = ReadonlyMap<string, readonly (readonly [number, number])[]>;
