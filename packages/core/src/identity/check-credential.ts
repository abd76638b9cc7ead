import type { Database } from "@nimbus/db";
import { DEFAULT_IDENTITY_SETTINGS, type IdentitySettings } from "../settings";
import { apiTokenStanding } from "./api-tokens";
import type { Authenticated, Credential } from "./credential";
import { sessionStanding } from "./session";

/**
 * Reads a credential's standing again, as a live socket's periodic re-check does: null once it
 * was revoked, expired (idle or past its lifetime) or replaced, or its user may no longer act.
 * Touches nothing, so checking never keeps a credential alive.
 */
export function checkCredential(
  db: Database,
  credential: Credential,
  policy: IdentitySettings["session"] = DEFAULT_IDENTITY_SETTINGS.session,
  now = new Date(),
): Promise<Authenticated | null> {
  return credential.kind === "session" ? sessionStanding(db, credential.tokenHash, policy, { now }) : apiTokenStanding(db, credential.id, now);
}
