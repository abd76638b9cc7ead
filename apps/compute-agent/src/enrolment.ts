import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { ENROLL_PATH, enrollRequestSchema, enrollResponseSchema, type EnrollResponse } from "@nimbus/core/protocol/http";
import { Backoff } from "./backoff";
import { reasonOf } from "./http-reason";

export interface EnrolmentOptions {
  /** Tried in turn, like the socket.io connection. */
  serverUrls: string[];
  joinToken: string;
  hostname: string;
  log: Logger;
  /** Delay between attempts; the default waits 0.5 s, doubling up to 5 s. */
  backoff?: Backoff;
}

/** A refusal the agent cannot fix by retrying: the operator must change its configuration. */
export class EnrolmentError extends Error {
  constructor(
    message: string,
    /** The server's own words, when it gave any. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = "EnrolmentError";
  }
}

const REQUEST_TIMEOUT_MS = 10_000;
/** 4xx answers that mean "not now" rather than "not this token". */
const RETRYABLE_CLIENT_ERRORS = new Set([408, 425, 429]);

/**
 * Trades the one-time join token for this host's credential (HTTP POST to ENROLL_PATH). A
 * network error or a 5xx answer is retried with backoff on the next server; a 4xx answer (a
 * wrong, expired or used token) throws `EnrolmentError`. Neither the token nor the credential
 * is ever logged.
 */
export async function enrol({ serverUrls, joinToken, hostname, log, backoff = new Backoff(500, 5000) }: EnrolmentOptions): Promise<EnrollResponse> {
  const body = JSON.stringify(enrollRequestSchema.parse({ joinToken, hostname }));
  for (let attempt = 0; ; attempt += 1) {
    const url = `${serverUrls[attempt % serverUrls.length] ?? ""}${ENROLL_PATH}`;
    log.info({ url }, "enrolling this host with its join token");
    try {
      const enrolled = await post(url, body);
      if (enrolled.hostname.toLowerCase() !== hostname.toLowerCase()) {
        throw new EnrolmentError(`The server enrolled this host as ${enrolled.hostname}, but NIMBUS_HOSTNAME is ${hostname}.`);
      }
      return enrolled;
    } catch (error) {
      if (error instanceof EnrolmentError) throw error;
      log.warn({ url, err: error }, "enrolment failed; will retry");
    }
    await sleep(backoff.next());
  }
}

async function post(url: string, body: string): Promise<EnrollResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body,
    // A redirect would carry the join token to an address nobody configured.
    redirect: "error",
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (response.ok) {
    const parsed = enrollResponseSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new Error(`The server's enrolment response (HTTP ${response.status}) was malformed.`);
    return parsed.data;
  }
  const reason = await reasonOf(response);
  if (response.status >= 400 && response.status < 500 && !RETRYABLE_CLIENT_ERRORS.has(response.status)) {
    throw new EnrolmentError(
      `The server refused to enrol this host (HTTP ${response.status}: ${reason}). The join token is wrong, expired or already used: create a new one and set NIMBUS_JOIN_TOKEN.`,
      reason,
    );
  }
  throw new Error(`The server answered HTTP ${response.status}: ${reason}`);
}
