/** Mantine `styles` for inputs whose values read better in a fixed-width font; the label stays in the body font. */

/** Addresses, CIDRs and the like. */
export const MONOSPACE_INPUT = { input: { fontFamily: "var(--mantine-font-family-monospace)" } };

/** Long keys (OpenSSH public keys, PEM private keys): monospace, in the extra-small size. */
export const MONOSPACE_INPUT_XS = { input: { fontFamily: "var(--mantine-font-family-monospace)", fontSize: "var(--mantine-font-size-xs)" } };
