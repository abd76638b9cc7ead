"use client";

import { ActionIcon, Tooltip } from "@mantine/core";
import type { ReactNode } from "react";

interface RowActionIconProps {
  /** The action in one word, shown as the tooltip: "Delete", "Revoke". */
  tooltip: string;
  /** Names the action and its row, e.g. "Delete aggregate az-1". */
  "aria-label": string;
  icon: ReactNode;
  color?: string;
  onClick(): void;
}

/** A table row's icon button (delete, revoke) with a tooltip naming the action. */
export function RowActionIcon({ tooltip, "aria-label": ariaLabel, icon, color = "red", onClick }: RowActionIconProps) {
  return (
    <Tooltip label={tooltip}>
      <ActionIcon variant="subtle" color={color} aria-label={ariaLabel} onClick={onClick}>
        {icon}
      </ActionIcon>
    </Tooltip>
  );
}
