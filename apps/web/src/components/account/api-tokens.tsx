"use client";

import { Code, Grid, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { QueryStatus } from "@/components/common/query-status";
import { SecretOnce } from "@/components/common/secret-once";
import { useSession } from "@/components/session/session-context";
import type { ApiToken, CreatedApiToken } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { CreateTokenForm } from "./create-token-form";
import { TokensTable } from "./tokens-table";

/** How a script uses a token: the same API as the console, with the token instead of a cookie. */
function TokenUsage({ token }: { token: CreatedApiToken }) {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  return (
    <Stack gap={4}>
      <Text size="sm">
        Valid in project <b>{token.projectName}</b> until {formatDateTime(token.expiresAt)}. Scripts send it as{" "}
        <Code>Authorization: Bearer &lt;token&gt;</Code>, for example:
      </Text>
      <Code block>{`curl -H "Authorization: Bearer ${token.token}" ${origin}/api/trpc/instances.list`}</Code>
    </Stack>
  );
}

/**
 * API tokens for scripts: each is bound to the project the session is scoped to when it is
 * created, and to its owner's role there. The secret is shown once, right after creation.
 */
export function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const revoke = useConfirmDelete(
    trpc.tokens.revoke.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() }),
    }),
    (t: ApiToken) => ({ id: t.id }),
    (t) => `Token ${t.name} revoked.`,
  );

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="api-tokens-title">
      <Title order={2} size="h4" id="api-tokens-title" mb={4}>
        API tokens
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        For scripts and tools. A token acts as you, with your role in project {principal.projectName} (the project this session is in), until it
        expires, you revoke it or you change your password. Tokens are made here, in a signed-in session: a token cannot make another.
      </Text>
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <CreateTokenForm onCreated={setCreated} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          {created && (
            <SecretOnce
              title={`API token ${created.name} created`}
              secret={{ value: created.token, label: "Token", copyLabel: "Copy token" }}
              onDismiss={() => setCreated(null)}
            >
              <TokenUsage token={created} />
            </SecretOnce>
          )}
        </Grid.Col>
      </Grid>
      <Stack mt="lg">
        <QueryStatus query={tokens} loadingLabel="Loading API tokens" errorTitle="Could not load the API tokens" />
        {tokens.isSuccess &&
          (tokens.data.length === 0 ? (
            <Text c="dimmed" size="sm">
              No API tokens yet.
            </Text>
          ) : (
            <Paper withBorder>
              <TokensTable tokens={tokens.data} onRevoke={revoke.ask} />
            </Paper>
          ))}
      </Stack>
      <ConfirmDeleteModal
        {...revoke.modal}
        title={(t) => `Revoke token ${t.name}?`}
        errorTitle="Could not revoke the token"
        confirmLabel="Confirm revoke"
      >
        {() => "Scripts using it are refused from their next request. This cannot be undone: create a new token to replace it."}
      </ConfirmDeleteModal>
    </Paper>
  );
}
