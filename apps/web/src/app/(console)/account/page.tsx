"use client";

import { Stack } from "@mantine/core";
import { ApiTokens } from "@/components/account/api-tokens";
import { ChangePasswordForm } from "@/components/account/change-password-form";
import { PageHeader } from "@/components/common/page-header";
import { useSession } from "@/components/session/session-context";

export default function AccountPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Account">Your password and the API tokens your scripts use, {principal.userName}.</PageHeader>
      <ChangePasswordForm />
      <ApiTokens />
    </Stack>
  );
}
