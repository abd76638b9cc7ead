"use client";

import type { ReactNode } from "react";
import { SessionGate } from "@/components/session/session-gate";
import { ConsoleShell } from "@/components/shell/console-shell";

export default function ConsoleLayout({ children }: { children: ReactNode }) {
  return (
    <SessionGate>
      <ConsoleShell>{children}</ConsoleShell>
    </SessionGate>
  );
}
