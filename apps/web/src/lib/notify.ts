"use client";

import { notifications } from "@mantine/notifications";

/**
 * Says that an action the user confirmed went through ("Image web deleted."), in a message that
 * goes by itself. A status, read out politely: not an alert, which is for what went wrong.
 */
export function notifyDone(message: string): void {
  notifications.show({
    role: "status",
    "aria-live": "polite",
    color: "green",
    message,
    autoClose: 6000,
    withCloseButton: true,
    closeButtonProps: { "aria-label": "Dismiss" },
  });
}
