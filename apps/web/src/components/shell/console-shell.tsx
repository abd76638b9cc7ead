"use client";

import { AppShell } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import type { ReactNode } from "react";
import { ConsoleHeader } from "./console-header";
import { ConsoleNav } from "./console-nav";
import { DatabaseReconnecting } from "./database-reconnecting";
import { LiveNetworkQueries } from "./live-network-queries";

/** The signed-in layout: header (product, project, user, sign out) and the navigation bar. */
export function ConsoleShell({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure(false);
  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="lg">
      {/* The first stop of Tab: past the header and the navigation, straight to the page. */}
      <a href="#main-content" className="nimbus-skip-link">
        Skip to main content
      </a>
      <AppShell.Header>
        <ConsoleHeader navOpened={opened} onToggleNav={toggle} />
      </AppShell.Header>
      {/* Scrolls on its own when its links are taller than the window (a laptop at 720 px). */}
      <AppShell.Navbar p="sm" style={{ overflowY: "auto" }}>
        <ConsoleNav onNavigate={close} />
      </AppShell.Navbar>
      <AppShell.Main id="main-content" tabIndex={-1} style={{ outline: "none" }}>
        <DatabaseReconnecting />
        <LiveNetworkQueries />
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
