/**
 * The command that enrols a compute agent with a join token: the agent spends the token once
 * and keeps the host credential it gets back. Without a host name in the token, the machine's
 * own name is used.
 */
export function enrolCommand({ origin, token, hostname }: { origin: string; token: string; hostname: string | null }): string {
  return `NIMBUS_SERVER_URL=${origin} NIMBUS_JOIN_TOKEN=${token} NIMBUS_HOSTNAME=${hostname ?? "$(hostname)"} npm start -w @nimbus/compute-agent`;
}
