import type { Credential } from "../context";
import type { Principal } from "../policy";

/** Defined beside the context that carries it (a verb may tie what it opens to it). */
export type { Credential };

/** A credential in good standing: whom it acts as, and when it lapses unless it is used again (sessions slide). */
export interface Authenticated {
  principal: Principal;
  credential: Credential;
  validUntil: Date;
}
