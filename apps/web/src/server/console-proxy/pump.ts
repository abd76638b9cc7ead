import type { Socket } from "node:net";
import type { RawData, WebSocket } from "ws";

/** While this much is queued for the browser, the display is not read; it is read again below half of it. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** Who ended a console's connection, and why (in plain words for the browser). */
export type PumpEnd =
  | { by: "browser" }
  | { by: "display"; error: Error | null }
  /** The proxy closed it (`close`): a cut-off, a refused standing, the server shutting down. */
  | { by: "proxy"; code: number; reason: string };

export interface Pump {
  /** Bytes carried so far, each way. */
  readonly bytes: { toBrowser: number; toDisplay: number };
  /** Closes both sides, telling the browser why (a WebSocket close code and reason). */
  close(code: number, reason: string): void;
}

/** A WebSocket close reason is at most 123 bytes of UTF-8: longer text is cut at a character boundary. */
export function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

/**
 * Carries a console's bytes both ways, as nova-novncproxy does: what the browser sends (binary
 * WebSocket messages) to the display's TCP socket, and what the display sends to the browser, as
 * it comes (RFB is a byte stream: message boundaries carry no meaning). Neither side may flood
 * the other: while the display's socket cannot take more, the WebSocket is not read, and while
 * more than HIGH_WATER_BYTES wait to go to the browser, the display is not read. When one side
 * closes or fails, the other is closed too, and `onEnd` is told once who ended it.
 */
export function pumpBytes(ws: WebSocket, display: Socket, onEnd: (end: PumpEnd) => void): Pump {
  const bytes = { toBrowser: 0, toDisplay: 0 };
  let ended = false;
  const end = (how: PumpEnd) => {
    if (ended) return;
    ended = true;
    onEnd(how);
  };

  ws.binaryType = "nodebuffer";
  ws.on("message", (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      // noVNC speaks binary; the old base64 text subprotocol is not offered.
      ws.close(1003, "The console takes binary messages only.");
      return;
    }
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    bytes.toDisplay += chunk.length;
    if (!display.write(chunk) && !ws.isPaused) {
      ws.pause();
      display.once("drain", () => ws.resume());
    }
  });
  display.on("data", (chunk: Buffer) => {
    bytes.toBrowser += chunk.length;
    ws.send(chunk, { binary: true }, () => {
      if (display.isPaused() && ws.bufferedAmount < HIGH_WATER_BYTES / 2) display.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER_BYTES) display.pause();
  });

  ws.on("close", () => {
    display.destroy();
    end({ by: "browser" });
  });
  // A WebSocket error is followed by its close.
  ws.on("error", () => display.destroy());
  let displayError: Error | null = null;
  display.on("error", (error) => (displayError = error));
  display.on("close", () => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      ws.close(4004, closeReason(displayError ? "The guest's display could not be reached." : "The guest's display closed the connection."));
    }
    end({ by: "display", error: displayError });
  });

  return {
    bytes,
    close(code, reason) {
      end({ by: "proxy", code, reason });
      display.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason));
    },
  };
}
