"use client";

import { Group, Progress, Text } from "@mantine/core";
import { useState } from "react";
import { formatBytes } from "@/lib/format";
import { useSocketEvent } from "@/lib/socket/use-socket-event";

/** The image download of a build as the host reports it (shown while block device mapping runs). */
export function DownloadProgress({ instanceId }: { instanceId: string }) {
  const [progress, setProgress] = useState<{ bytes: number; totalBytes: number } | null>(null);
  useSocketEvent("instance.download", (p) => {
    if (p.instanceId === instanceId) setProgress({ bytes: p.bytes, totalBytes: p.totalBytes });
  });
  if (!progress || progress.totalBytes === 0) return null;
  const percent = Math.min(100, Math.round((progress.bytes / progress.totalBytes) * 100));
  return (
    <Group gap="sm" wrap="nowrap">
      <Text size="sm" w={140}>
        Image download
      </Text>
      <Progress value={percent} aria-label="Image download progress" size="md" style={{ flex: 1 }} />
      <Text size="sm" w={170} ta="right">
        {percent}% of {formatBytes(progress.totalBytes)}
      </Text>
    </Group>
  );
}
