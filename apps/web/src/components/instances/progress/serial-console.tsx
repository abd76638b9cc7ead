"use client";

import { Badge, Card, Group, Loader, ScrollArea, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import type { InstanceDetail } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

/** Newest console text kept on the page; older output stays on the server. */
const MAX_CHARS = 256 * 1024;

/** The badge's colour per guest state. */
const BADGE_COLOR: Record<InstanceDetail["guestConsole"]["state"], string> = { booted: "green", waiting: "gray", no_guest: "orange" };

interface Piece {
  offset: number;
  data: string;
}

/**
 * The guest's serial console, live: the stored log first, then every chunk the agent streams,
 * kept in offset order and each offset once (a chunk may arrive both ways). Above it, what is
 * true of the guest as the server says (`guest`): booted, one to wait for, or why there is none
 * (a build that failed before the guest started, a simulated host that runs no guest).
 */
export function SerialConsole({ instanceId, guest }: { instanceId: string; guest: InstanceDetail["guestConsole"] }) {
  const trpc = useTRPC();
  const stored = useQuery(trpc.instances.console.queryOptions({ id: instanceId }));
  const [live, setLive] = useState<Piece[]>([]);
  const viewport = useRef<HTMLDivElement>(null);

  useSocketEvent("instance.console", (chunk) => {
    if (chunk.instanceId !== instanceId) return;
    setLive((pieces) => (pieces.some((p) => p.offset === chunk.offset) ? pieces : [...pieces, { offset: chunk.offset, data: chunk.data }]));
  });

  const after = stored.data?.lastOffset ?? -1;
  const text =
    (stored.data?.text ?? "") +
    live
      .filter((p) => p.offset > after)
      .sort((a, b) => a.offset - b.offset)
      .map((p) => p.data)
      .join("");
  const shown = text.length > MAX_CHARS ? text.slice(-MAX_CHARS) : text;

  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls to the end whenever more output is shown
  useEffect(() => {
    const el = viewport.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [shown.length]);

  return (
    <Card withBorder component="section" aria-label="Serial console">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>Serial console</Text>
        <Badge color={BADGE_COLOR[guest.state]} variant="light">
          {guest.label}
        </Badge>
      </Group>
      {/* What is true of the guest, as the server says (a booted guest's output speaks for itself). */}
      {guest.state !== "booted" && (
        <Text size="sm" mb="sm" c={guest.state === "no_guest" ? undefined : "dimmed"}>
          {guest.says}
        </Text>
      )}
      {stored.isPending ? (
        <Loader size="sm" aria-label="Loading the console log" />
      ) : stored.isError ? (
        <Text c="red">{toFormError(stored.error).message}</Text>
      ) : shown.length === 0 ? (
        guest.state === "booted" && <Text c="dimmed">No console output stored.</Text>
      ) : (
        <ScrollArea.Autosize mah={420} viewportRef={viewport} type="auto">
          <pre role="log" aria-label="Serial console log" style={{ margin: 0, fontSize: 12, whiteSpace: "pre-wrap", wordBreak: "break-all" }}>
            {shown}
          </pre>
        </ScrollArea.Autosize>
      )}
    </Card>
  );
}
