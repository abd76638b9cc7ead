"use client";

import { Badge, Burger, Button, Group, Text, Title, Tooltip } from "@mantine/core";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useSession } from "@/components/session/session-context";
import { useSignOut } from "@/components/session/use-sign-out";
import { useSocket } from "@/lib/socket/socket-provider";
import { ProjectSwitcher } from "./project-switcher";

const LIVE_BADGE = {
  connected: { color: "green", label: "Live", hint: "Updates arrive as they happen." },
  connecting: { color: "gray", label: "Connecting", hint: "Opening the live update channel…" },
  disconnected: { color: "orange", label: "Offline", hint: "Live updates are paused; the page catches up when the connection returns." },
} as const;

export function ConsoleHeader({ navOpened, onToggleNav }: { navOpened: boolean; onToggleNav: () => void }) {
  const principal = useSession();
  const signOut = useSignOut();
  const { status } = useSocket();
  const live = LIVE_BADGE[status];
  const onAccount = usePathname() === "/account";
  return (
    <Group h="100%" px="md" justify="space-between" wrap="nowrap">
      <Group gap="sm" wrap="nowrap">
        <Burger opened={navOpened} onClick={onToggleNav} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
        <Title order={3} c="blue.7">
          Nimbus
        </Title>
        <ProjectSwitcher />
      </Group>
      <Group gap="sm" wrap="nowrap">
        <Tooltip label={live.hint}>
          <Badge variant="dot" color={live.color}>
            {live.label}
          </Badge>
        </Tooltip>
        <Text size="sm" data-testid="current-user">
          {principal.userName}
          {principal.isAdmin ? (
            <Text span c="dimmed" size="sm">
              {" "}
              (cloud admin)
            </Text>
          ) : (
            <Text span c="dimmed" size="sm">
              {" "}
              ({principal.role})
            </Text>
          )}
        </Text>
        <Button component={Link} href="/account" variant={onAccount ? "light" : "subtle"} size="xs" aria-current={onAccount ? "page" : undefined}>
          Account
        </Button>
        <Button variant="default" size="xs" onClick={() => signOut.mutate()} loading={signOut.isPending}>
          Sign out
        </Button>
      </Group>
    </Group>
  );
}
