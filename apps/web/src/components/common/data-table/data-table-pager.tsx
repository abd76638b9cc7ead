"use client";

import { Button, Group, Text } from "@mantine/core";
import type { ReactNode } from "react";

/** Server-side paging, as the caller knows it: whether there is a page before and after this one, and how to go there. */
export interface DataTablePagination {
  hasPrev: boolean;
  hasNext: boolean;
  onPrev(): void;
  onNext(): void;
  /** What this page holds, e.g. "Events 51–100"; shown on the left. */
  label?: ReactNode;
}

/** Previous and Next under a table; "Next page" by name, so it is never mistaken for a wizard's Next. */
export function DataTablePager({ hasPrev, hasNext, onPrev, onNext, label }: DataTablePagination) {
  return (
    <Group component="nav" aria-label="Pages" justify="flex-end" gap="xs" p="xs">
      {label && (
        <Text size="sm" c="dimmed" mr="auto">
          {label}
        </Text>
      )}
      <Button variant="default" size="xs" disabled={!hasPrev} onClick={onPrev} aria-label="Previous page">
        Previous
      </Button>
      <Button variant="default" size="xs" disabled={!hasNext} onClick={onNext} aria-label="Next page">
        Next
      </Button>
    </Group>
  );
}
