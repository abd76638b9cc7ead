"use client";

import { notifications } from "@mantine/notifications";

/** Says that an action the user confirmed went through ("Image web deleted."), in a message that goes by itself. */
export function notifyDone(message: string): void {
  notifications.show({ color: "green", message, autoClose: 6000, withCloseButton: true, closeButtonProps: { "aria-label": "Dismiss" } });
}
