import type { Logger } from "pino";
import { enrol } from "./enrolment";
import { prepareCredentialDir, readCredentialFile, writeCredentialFile } from "./host-credential";
import type { SecretProvider } from "./secret";

/** What the handshake presents: this host's own credential, or the shared bootstrap secret. */
export type HandshakeAuth = { credential: string } | { secret: string };

/** Returns what to present in the next handshake; never rejects. */
export type AuthProvider = () => Promise<HandshakeAuth>;

/** The headers an agent's HTTP request to the servers authenticates with (as its socket's handshake does). */
export async function agentHttpHeaders(auth: AuthProvider, hostname: string): Promise<Record<string, string>> {
  const presented = await auth();
  const named = { "x-nimbus-hostname": hostname };
  return "credential" in presented
    ? { ...named, authorization: `Bearer ${presented.credential}` }
    : { ...named, "x-nimbus-agent-secret": presented.secret };
}

export interface HostAuthOptions {
  hostname: string;
  credentialFile: string;
  /** Enrol with this join token when there is no credential file yet; null: never enrol. */
  enrolment: { joinToken: string; serverUrls: string[] } | null;
  /** The shared secret; awaited only when the host has no credential and does not enrol. */
  sharedSecret: () => Promise<SecretProvider>;
  log: Logger;
}

/**
 * Chooses how the host authenticates, in this order: the credential file; else enrolment with
 * the join token, whose credential is then stored in the credential file; else the shared
 * secret. Rejects on a configuration error (an unreadable credential file, a refused join
 * token), which no retry could fix.
 */
export async function hostAuth({ hostname, credentialFile, enrolment, sharedSecret, log }: HostAuthOptions): Promise<AuthProvider> {
  const stored = await readCredentialFile(credentialFile);
  if (stored !== null) {
    if (enrolment) log.info({ path: credentialFile }, "this host is already enrolled; the join token is not used");
    log.info({ path: credentialFile }, "authenticating with the host credential");
    return async () => ({ credential: stored });
  }
  if (enrolment) {
    await prepareCredentialDir(credentialFile);
    const { credential } = await enrol({ ...enrolment, hostname, log });
    await writeCredentialFile(credentialFile, credential);
    log.info({ path: credentialFile }, "host enrolled; its credential is stored");
    return async () => ({ credential });
  }
  const secret = await sharedSecret();
  log.info("authenticating with the shared agent secret");
  return async () => ({ secret: await secret() });
}
