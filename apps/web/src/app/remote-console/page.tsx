"use client";

import { Alert, Anchor, Box, Stack, Text, Title } from "@mantine/core";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { VncScreen } from "@/components/instances/console/vnc-screen";

/**
 * A graphical console on a page of its own: what a remote console's URL opens (Nova's
 * `vnc_lite.html?path=?token=…`, e.g. from `openstack console url show`). The token in the URL
 * is all it needs, once: a reload or a second tab gets the proxy's plain-words refusal.
 */
function RemoteConsole() {
  const token = useSearchParams().get("token");
  return (
    <Stack component="main" p="md" gap="sm" mih="100vh">
      <Title order={1} size="h3">
        Graphical console
      </Title>
      {token ? (
        <Box style={{ flex: 1 }}>
          <VncScreen token={token} name="the instance" height="calc(100vh - 140px)" />
        </Box>
      ) : (
        <Alert color="orange" title="No console token">
          <Text size="sm">
            This page opens a console from a console URL, which carries a token. Open the console from the instance's page instead.
          </Text>
        </Alert>
      )}
      <Anchor component={Link} href="/project/instances" size="sm">
        Back to the instances
      </Anchor>
    </Stack>
  );
}

export default function RemoteConsolePage() {
  return (
    <Suspense>
      <RemoteConsole />
    </Suspense>
  );
}
