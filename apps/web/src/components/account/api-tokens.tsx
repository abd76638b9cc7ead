"use client";

import { Alert, Code, Grid, Loader, Paper, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { SecretOnce } from "@/components/common/secret-once";
import { useSession } from "@/components/session/session-context";
import type { ApiToken, CreatedApiToken } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { CreateTokenForm } from "./create-token-form";
import { TokensTable } from "./tokens-table";

/** How a script uses a token: the same API as the console, with the token instead of a cookie. */
function TokenUsage({ token }: { token: CreatedApiToken }) {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  return (
    <Stack gap={4}>
      <Text size="sm">
        Valid in project <b>{token.projectName}</b> until {formatDateTime(token.expiresAt)}. Scripts send it as <Code>Authorization: Bearer &lt;token&gt;</Code>, for example:
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
  const [toRevoke, setToRevoke] = useState<ApiToken | null>(null);
  const revoke = useMutation(
    trpc.tokens.revoke.mutationOptions({
      onSuccess: () => {
        setToRevoke(null);
        void queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
      },
    }),
  );
  function closeRevoke() {
    revoke.reset();
    setToRevoke(null);
  }

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="api-tokens-title">
      <Title order={2} size="h4" id="api-tokens-title" mb={4}>
        API tokens
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        For scripts and tools. A token acts as you, with your role in project {principal.projectName} (the project this session is in), until it expires or you revoke it.
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
        {tokens.isPending && <Loader aria-label="Loading API tokens" />}
        {tokens.isError && (
          <Alert color="red" title="Could not load the API tokens">
            {toFormError(tokens.error).message}
          </Alert>
        )}
        {tokens.isSuccess &&
          (tokens.data.length === 0 ? (
            <Text c="dimmed" size="sm">
              No API tokens yet.
            </Text>
          ) : (
            <Paper withBorder>
              <TokensTable tokens={tokens.data} onRevoke={setToRevoke} />
            </Paper>
          ))}
      </Stack>
      <ConfirmDeleteModal
        target={toRevoke}
        title={(t) => `Revoke token ${t.name}?`}
        pending={revoke.isPending}
        error={revoke.error ? toFormError(revoke.error) : null}
        errorTitle="Could not revoke the token"
        confirmLabel="Confirm revoke"
        onConfirm={(t) => revoke.mutate({ id: t.id })}
        onClose={closeRevoke}
      >
        {() => "Scripts using it are refused from their next request. This cannot be undone: create a new token to replace it."}
      </ConfirmDeleteModal>
    </Paper>
  );
}
