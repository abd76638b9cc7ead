"use client";

import { Center, Paper, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { LoginForm } from "@/components/auth/login-form";
import { safeNextPath } from "@/lib/safe-next-path";
import { useTRPC } from "@/lib/trpc";

export default function LoginPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const whoami = useQuery(trpc.auth.whoami.queryOptions());
  const signedIn = Boolean(whoami.data);

  // Someone already signed in has nothing to do here.
  useEffect(() => {
    if (signedIn) router.replace(safeNextPath(new URLSearchParams(window.location.search).get("next")));
  }, [signedIn, router]);

  return (
    <Center mih="100vh" bg="var(--mantine-color-gray-0)" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={400}>
        <Title order={1} size="h2" mb={4}>
          Sign in to Nimbus
        </Title>
        <Text c="dimmed" size="sm" mb="lg">
          Use the account your cloud administrator gave you.
        </Text>
        <LoginForm />
      </Paper>
    </Center>
  );
}
