"use client";

import { useEffect, useRef } from "react";
import type { z } from "zod";
import {
  hostChangedSchema,
  instanceChangedSchema,
  instanceConsoleSchema,
  instanceDownloadSchema,
  instanceEventSchema,
  networkChangedSchema,
  carrierOf,
  unpackBrowserMessage,
} from "@nimbus/core/protocol/browser";
import { useSocket } from "./socket-provider";

/** The announcements the server pushes to browsers, each with the schema its payload must pass. */
const browserEventSchemas = {
  "instance.event": instanceEventSchema,
  "instance.changed": instanceChangedSchema,
  "host.changed": hostChangedSchema,
  "network.changed": networkChangedSchema,
  "instance.console": instanceConsoleSchema,
  "instance.download": instanceDownloadSchema,
} as const;

export type BrowserEvent = keyof typeof browserEventSchemas;
export type BrowserEventPayload<E extends BrowserEvent> = z.output<(typeof browserEventSchemas)[E]>;

/**
 * Calls `handler` with every valid payload of `event` on the session's socket. Payloads are
 * parsed with the protocol's zod schema; one that does not parse is dropped, never cast.
 * The handler may change on every render; the subscription does not.
 */
export function useSocketEvent<E extends BrowserEvent>(event: E, handler: (payload: BrowserEventPayload<E>) => void): void {
  const { socket } = useSocket();
  const handlerRef = useRef(handler);
  useEffect(() => {
    handlerRef.current = handler;
  });

  useEffect(() => {
    if (!socket) return;
    const schema = browserEventSchemas[event];
    const deliver = (payload: unknown): void => {
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        console.warn(`Ignored a malformed "${event}" payload`, parsed.error.issues);
        return;
      }
      handlerRef.current(parsed.data as BrowserEventPayload<E>);
    };
    // Events and states come inside "instance.updates", one message per committed change.
    const carrier = carrierOf(event);
    const unpack = (payload: unknown): void => {
      for (const item of unpackBrowserMessage(carrier!, payload)) if (item.event === event) deliver(item.payload);
    };
    // A carried announcement may still come on its own, from a web process of the release
    // before (several share one database while a new release rolls out).
    socket.on(event as string, deliver);
    if (carrier) socket.on(carrier, unpack);
    return () => {
      socket.off(event as string, deliver);
      if (carrier) socket.off(carrier, unpack);
    };
  }, [socket, event]);
}
