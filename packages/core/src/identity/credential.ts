import type { Principal } from "../policy";

/**
 * What a caller authenticated with: a browser session (known by its token's SHA-256) or a
 * script's API token (by its id). A live socket remembers it, so the credential's end (sign-out,
 * revocation, expiry, a password change) ends the socket too.
 */
export type Credential = { kind: "session"; tokenHash: string } | { kind: "api_token"; id: string };

/** A credential in good standing: whom it acts as, and when it lapses unless it is used again (sessions slide). */
export interface Authenticated {
  principal: Principal;
  credential: Credential;
  validUntil: Date;
}
