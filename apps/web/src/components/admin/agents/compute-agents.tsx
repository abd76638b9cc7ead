"use client";

import { Grid, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import { SecretOnce, SecretValue } from "@/components/common/secret-once";
import type { CreatedJoinToken, HostCredential } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { enrolCommand } from "./enrol-command";
import { HostCredentialsTable } from "./host-credentials-table";
import { JoinTokenForm } from "./join-token-form";
import { JoinTokensTable } from "./join-tokens-table";

function CreatedJoinTokenPanel({ token, onDismiss }: { token: CreatedJoinToken; onDismiss(): void }) {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  const command = enrolCommand({ origin, token: token.token, hostname: token.hostname });
  return (
    <SecretOnce
      title={`Join token${token.hostname ? ` for ${token.hostname}` : ""} created`}
      secret={{ value: token.token, label: "Join token", copyLabel: "Copy token" }}
      onDismiss={onDismiss}
    >
      <Text size="sm">
        Valid once, until {formatDateTime(token.expiresAt)}
        {token.hostname ? `, for host ${token.hostname} only` : ", for any host name"}. On the new compute host, in a checkout of Nimbus, run:
      </Text>
      <SecretValue value={command} label="Enrolment command" copyLabel="Copy command" />
    </SecretOnce>
  );
}

/**
 * Compute agents' access: one-time join tokens that enrol a new host, and the host credentials
 * enrolment handed out. Revoking a credential disconnects its agent at once.
 */
export function ComputeAgents() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const access = useQuery(trpc.agents.list.queryOptions());
  const [created, setCreated] = useState<CreatedJoinToken | null>(null);
  const revoke = useConfirmDelete(
    trpc.agents.revoke.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.agents.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
      },
    }),
    (c: HostCredential) => ({ hostname: c.hostname }),
    (c) => `Credential of ${c.hostname} revoked.`,
  );

  return (
    <Stack>
      <Paper withBorder p="lg" component="section" aria-labelledby="join-token-title">
        <Title order={2} size="h4" id="join-token-title" mb={4}>
          Enrol a compute host
        </Title>
        <Text size="sm" c="dimmed" mb="md">
          A join token lets one agent enrol: it is spent on first use and exchanged for the host&apos;s own credential.
        </Text>
        <Grid gap="lg">
          <Grid.Col span={{ base: 12, lg: 5 }}>
            <JoinTokenForm onCreated={setCreated} />
          </Grid.Col>
          <Grid.Col span={{ base: 12, lg: 7 }}>{created && <CreatedJoinTokenPanel token={created} onDismiss={() => setCreated(null)} />}</Grid.Col>
        </Grid>
      </Paper>

      <QueryStatus query={access} loadingLabel="Loading compute agents" errorTitle="Could not load the compute agents" />
      {access.isSuccess && (
        <>
          <Stack gap="xs" component="section" aria-labelledby="host-credentials-title">
            <Title order={2} size="h4" id="host-credentials-title">
              Host credentials
            </Title>
            {access.data.credentials.length === 0 ? (
              <EmptyState>No host has enrolled with a join token yet. Agents started with the shared secret do not appear here.</EmptyState>
            ) : (
              <Paper withBorder>
                <HostCredentialsTable credentials={access.data.credentials} onRevoke={revoke.ask} />
              </Paper>
            )}
          </Stack>
          <Stack gap="xs" component="section" aria-labelledby="join-tokens-title">
            <Title order={2} size="h4" id="join-tokens-title">
              Recent join tokens
            </Title>
            {access.data.joinTokens.length === 0 ? (
              <EmptyState>No join tokens yet.</EmptyState>
            ) : (
              <Paper withBorder>
                <JoinTokensTable tokens={access.data.joinTokens} />
              </Paper>
            )}
          </Stack>
        </>
      )}

      <ConfirmDeleteModal
        {...revoke.modal}
        title={(c) => `Revoke ${c.hostname}?`}
        errorTitle="Could not revoke the credential"
        confirmLabel="Confirm revoke"
      >
        {(c) =>
          `This cuts the agent of ${c.hostname} off at once: it is disconnected now and every reconnection with this credential is refused, so the host goes down and takes no new instances. To bring it back, enrol it again with a new join token.`
        }
      </ConfirmDeleteModal>
    </Stack>
  );
}
