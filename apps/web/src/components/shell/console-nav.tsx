"use client";

import { NavLink, Stack } from "@mantine/core";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useSession } from "@/components/session/session-context";

interface NavItem {
  label: string;
  href: string;
  /** Whether the current path belongs to this item. */
  matches(pathname: string): boolean;
}

const PROJECT_ITEMS: NavItem[] = [
  { label: "Overview", href: "/project", matches: (p) => p === "/project" },
  { label: "Instances", href: "/project/instances", matches: (p) => p.startsWith("/project/instances") },
  { label: "Server groups", href: "/project/server-groups", matches: (p) => p.startsWith("/project/server-groups") },
];
const ADMIN_ITEMS: NavItem[] = [{ label: "Host inventory", href: "/admin/hosts", matches: (p) => p.startsWith("/admin/hosts") }];

export function ConsoleNav({ onNavigate }: { onNavigate?: () => void }) {
  const pathname = usePathname();
  const principal = useSession();
  const items = principal.isAdmin ? [...PROJECT_ITEMS, ...ADMIN_ITEMS] : PROJECT_ITEMS;
  return (
    <Stack gap={4} component="nav" aria-label="Console">
      {items.map((item) => {
        const active = item.matches(pathname);
        return (
          <NavLink
            key={item.href}
            component={Link}
            href={item.href}
            label={item.label}
            active={active}
            aria-current={active ? "page" : undefined}
            onClick={onNavigate}
          />
        );
      })}
    </Stack>
  );
}
