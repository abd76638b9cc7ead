"use client";

import { NavLink, Stack, Text } from "@mantine/core";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useSession } from "@/components/session/session-context";

interface NavItem {
  label: string;
  href: string;
  /** Whether the current path belongs to this item. */
  matches(pathname: string): boolean;
}

interface NavGroup {
  label: string;
  items: NavItem[];
  /** Only cloud administrators see the group. */
  adminOnly: boolean;
}

const under = (prefix: string) => (p: string) => p === prefix || p.startsWith(`${prefix}/`);

const NAV_GROUPS: NavGroup[] = [
  {
    label: "Project",
    adminOnly: false,
    items: [
      { label: "Overview", href: "/project", matches: (p) => p === "/project" },
      { label: "Instances", href: "/project/instances", matches: under("/project/instances") },
      { label: "Images", href: "/project/images", matches: under("/project/images") },
      { label: "Networks", href: "/project/networks", matches: under("/project/networks") },
      { label: "Network topology", href: "/project/network-topology", matches: under("/project/network-topology") },
      { label: "Routers", href: "/project/routers", matches: under("/project/routers") },
      { label: "Floating IPs", href: "/project/floating-ips", matches: under("/project/floating-ips") },
      { label: "Security groups", href: "/project/security-groups", matches: under("/project/security-groups") },
      { label: "Volumes", href: "/project/volumes", matches: under("/project/volumes") },
      { label: "Key pairs", href: "/project/key-pairs", matches: under("/project/key-pairs") },
      { label: "Server groups", href: "/project/server-groups", matches: under("/project/server-groups") },
    ],
  },
  {
    label: "Admin",
    adminOnly: true,
    items: [
      { label: "Host inventory", href: "/admin/hosts", matches: under("/admin/hosts") },
      { label: "Compute agents", href: "/admin/agents", matches: under("/admin/agents") },
    ],
  },
  {
    label: "Identity",
    adminOnly: true,
    items: [
      { label: "Users", href: "/admin/users", matches: under("/admin/users") },
      { label: "Projects", href: "/admin/projects", matches: under("/admin/projects") },
      { label: "Audit trail", href: "/admin/audit", matches: under("/admin/audit") },
    ],
  },
];

export function ConsoleNav({ onNavigate }: { onNavigate?: () => void }) {
  const pathname = usePathname();
  const principal = useSession();
  const groups = NAV_GROUPS.filter((group) => !group.adminOnly || principal.isAdmin);
  return (
    <Stack gap="md" component="nav" aria-label="Console">
      {groups.map((group) => (
        <Stack key={group.label} gap={4} role="group" aria-labelledby={`nav-group-${group.label}`}>
          <Text id={`nav-group-${group.label}`} size="xs" fw={700} c="dimmed" tt="uppercase" px="sm">
            {group.label}
          </Text>
          {group.items.map((item) => {
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
      ))}
    </Stack>
  );
}
