"use client";

import { Button, Center, Group, Paper, Text, Title } from "@mantine/core";
import Link from "next/link";

/** Any address the console does not have: said in the console's words, with the way back. */
export function NotFoundView() {
  return (
    <Center mih="100vh" bg="var(--mantine-color-gray-0)" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={480}>
        <Text c="dimmed" size="sm" fw={600}>
          Nimbus · 404
        </Text>
        <Title order={1} size="h2" mb="xs">
          Page not found
        </Title>
        <Text size="sm" mb="lg">
          There is no page at this address. It may have been mistyped, or what it showed was deleted.
        </Text>
        <Group>
          <Button component={Link} href="/project/instances">
            Go to instances
          </Button>
          <Button component={Link} href="/project" variant="default">
            Project overview
          </Button>
        </Group>
      </Paper>
    </Center>
  );
}
