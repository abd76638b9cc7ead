"use client";

import { Badge, Button, Card, Group, Loader, ScrollArea, Switch, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { CONSOLE_LOG_PATH } from "@nimbus/core/protocol/http";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import type { InstanceDetail } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

/** Newest console text kept on the page; older output stays on the server. */
const MAX_CHARS = 256 * 1024;

/** How close to the end (px) still counts as at the end: reaching it turns following back on. */
const AT_END_PX = 8;

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
 *
 * "Follow output" keeps the newest output in view; scrolling up to read turns it off (and
 * scrolling back to the end, or the switch, turns it on again). "Download log" saves the whole
 * stored log, not only the part the page keeps.
 */
export function SerialConsole({ instanceId, guest }: { instanceId: string; guest: InstanceDetail["guestConsole"] }) {
  const trpc = useTRPC();
  const stored = useQuery(trpc.instances.console.queryOptions({ id: instanceId }));
  const [live, setLive] = useState<Piece[]>([]);
  const viewport = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  /** Where following last scrolled to: a scroll event above it (and away from the end) is the reader's. */
  const followedTo = useRef(0);

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

  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls to the end whenever more output is shown, while following
  useEffect(() => {
    const el = viewport.current;
    if (!el || !follow) return;
    el.scrollTop = el.scrollHeight;
    followedTo.current = el.scrollTop;
  }, [shown.length, follow]);

  /**
   * The reader scrolled: up, away from the end, stops following; back to the end follows again.
   * Following's own scrolling (its event may come after more output made the log longer) is
   * never above where it scrolled to.
   */
  const onScroll = () => {
    const el = viewport.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END_PX;
    if (follow && !atEnd && el.scrollTop < followedTo.current - AT_END_PX) setFollow(false);
    else if (!follow && atEnd) setFollow(true);
  };

  return (
    <Card withBorder component="section" aria-label="Serial console">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>Serial console</Text>
        <Group gap="md">
          {shown.length > 0 && (
            <>
              <Switch size="sm" label="Follow output" checked={follow} onChange={(event) => setFollow(event.currentTarget.checked)} />
              <Button component="a" href={CONSOLE_LOG_PATH(instanceId)} download size="xs" variant="default">
                Download log
              </Button>
            </>
          )}
          <Badge color={BADGE_COLOR[guest.state]} variant="light">
            {guest.label}
          </Badge>
        </Group>
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
        <ScrollArea.Autosize
          mah={420}
          viewportRef={viewport}
          // Focusable, so that the keyboard scrolls the log as the mouse wheel does.
          viewportProps={{ tabIndex: 0 }}
          type="auto"
          onScrollPositionChange={onScroll}
        >
          <pre role="log" aria-label="Serial console log" style={{ margin: 0, fontSize: 12, whiteSpace: "pre-wrap", wordBreak: "break-all" }}>
            {shown}
          </pre>
        </ScrollArea.Autosize>
      )}
    </Card>
  );
}
