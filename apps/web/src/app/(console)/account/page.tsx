"use client";

import { Stack, Text, Title } from "@mantine/core";
import { ApiTokens } from "@/components/account/api-tokens";
import { ChangePasswordForm } from "@/components/account/change-password-form";
import { useSession } from "@/components/session/session-context";

export default function AccountPage() {
  const principal = useSession();
  return (
    <Stack>
      <div>
        <Title order={1}>Account</Title>
        <Text c="dimmed">Your password and the API tokens your scripts use, {principal.userName}.</Text>
      </div>
      <ChangePasswordForm />
      <ApiTokens />
    </Stack>
  );
}
