"use client";

import { NumberInput, type NumberInputProps } from "@mantine/core";

/**
 * A whole number of minutes, at least 1. Out-of-range values are kept as typed (no clamping),
 * so the server's message explains the limit. NumberInput gives "" while empty.
 */
export function MinutesInput(props: NumberInputProps) {
  return <NumberInput min={1} clampBehavior="none" allowDecimal={false} allowNegative={false} {...props} />;
}
