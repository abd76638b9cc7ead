"use client";

import { Anchor, Button, Group, Popover, Stack, Text } from "@mantine/core";
import Link from "next/link";
import { useSession } from "@/components/session/session-context";
import { InstanceStatusBadge } from "@/components/instances/instance-status-badge";
import type { Host } from "@/lib/api-types";

/** The instance count of a host; opens the list of what runs there, across projects. */
export function HostInstancesPopover({ host }: { host: Host }) {
  const principal = useSession();
  const title = `Instances on ${host.hostname}`;
  // The leading space keeps the count a separate word in the row's text.
  if (host.instances.length === 0) return <Text size="sm"> {host.instanceCount}</Text>;
  return (
    <Popover position="bottom-end" shadow="md" width={320} withArrow>
      <Popover.Target>
        <Button variant="light" size="compact-sm" aria-label={`Show instances on ${host.hostname}`}>
          {" "}
          {host.instanceCount}
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <section aria-label={title}>
          <Text fw={600} size="sm" mb="xs" role="heading" aria-level={3}>
            {title}
          </Text>
          <Stack gap={6} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
            {host.instances.map((instance) => (
              <Group key={instance.id} component="li" justify="space-between" wrap="nowrap" gap="xs">
                <div style={{ minWidth: 0 }}>
                  {/* Instance pages are project scoped: link only to those of the current project. */}
                  {instance.projectName === principal.projectName ? (
                    <Anchor component={Link} href={`/project/instances/${instance.id}`} size="sm" fw={500}>
                      {instance.name}
                    </Anchor>
                  ) : (
                    <Text size="sm" fw={500}>
                      {instance.name}
                    </Text>
                  )}
                  <Text size="xs" c="dimmed">
                    project {instance.projectName}
                  </Text>
                </div>
                <InstanceStatusBadge status={instance.status} />
              </Group>
            ))}
          </Stack>
        </section>
      </Popover.Dropdown>
    </Popover>
  );
}
