"use client";

import { Alert, Badge, Box, Button, Group, Text } from "@mantine/core";
import type RFB from "@novnc/novnc";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { REMOTE_CONSOLE_WEBSOCKET_PATH } from "@nimbus/core/protocol/http";

/** Where the screen is: connecting, showing the guest, or closed (with the proxy's or the browser's reason). */
type ScreenState = { kind: "connecting" } | { kind: "connected" } | { kind: "closed"; reason: string };

/** The console proxy's WebSocket for a token, on this page's own origin. */
function consoleSocketUrl(token: string): string {
  const url = new URL(REMOTE_CONSOLE_WEBSOCKET_PATH, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  return url.toString();
}

/**
 * A guest's screen through the console proxy, drawn by noVNC: the WebSocket is opened with the
 * single-use console token, and the proxy's close reason (a refused token, a session that ended,
 * a display that went away) is shown as it says it. The controls Horizon and Proxmox offer sit
 * above it: Ctrl+Alt+Del (a key combination the browser's own machine would take) and fullscreen.
 */
export function VncScreen({ token, name, height = 480, actions }: { token: string; name: string; height?: number | string; actions?: ReactNode }) {
  const frame = useRef<HTMLDivElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const [state, setState] = useState<ScreenState>({ kind: "connecting" });
  const [fullscreen, setFullscreen] = useState(false);

  useEffect(() => {
    let cancelled = false;
    let client: RFB | null = null;
    setState({ kind: "connecting" });
    // A turn later: React's development double mount would otherwise spend the single-use token
    // on a socket it closes at once.
    const timer = setTimeout(() => {
      import("@novnc/novnc").then(
        ({ default: Rfb }) => {
          if (cancelled || !screen.current) return;
          const socket = new WebSocket(consoleSocketUrl(token));
          // Heard before noVNC's own handler: the proxy's reason for closing, in plain words.
          let closedWith: string | null = null;
          socket.addEventListener("close", (event) => (closedWith = event.reason || null));
          client = new Rfb(screen.current, socket, { shared: true });
          client.scaleViewport = true;
          client.background = "#000";
          client.addEventListener("connect", () => setState({ kind: "connected" }));
          client.addEventListener("securityfailure", (event) =>
            setState({
              kind: "closed",
              reason: `The guest's display refused the connection${event.detail.reason ? `: ${event.detail.reason}` : "."}`,
            }),
          );
          client.addEventListener("disconnect", (event) => {
            rfb.current = null;
            setState((now) =>
              now.kind === "closed"
                ? now
                : { kind: "closed", reason: closedWith ?? (event.detail.clean ? "The console closed." : "The connection to the console was lost.") },
            );
          });
          rfb.current = client;
        },
        () => setState({ kind: "closed", reason: "The console viewer could not be loaded." }),
      );
    }, 0);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      client?.disconnect();
      rfb.current = null;
    };
  }, [token]);

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement !== null && document.fullscreenElement === frame.current);
    document.addEventListener("fullscreenchange", onChange);
    return () => document.removeEventListener("fullscreenchange", onChange);
  }, []);

  const connected = state.kind === "connected";
  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void frame.current?.requestFullscreen().then(() => rfb.current?.focus());
  };

  return (
    <Box ref={frame} bg={fullscreen ? "black" : undefined}>
      <Group justify="space-between" mb="xs" p={fullscreen ? "xs" : 0} bg={fullscreen ? "white" : undefined}>
        <Badge color={connected ? "green" : state.kind === "connecting" ? "gray" : "orange"} variant="light" role="status">
          {connected ? "Connected" : state.kind === "connecting" ? "Connecting" : "Closed"}
        </Badge>
        <Group gap="xs">
          <Button
            size="xs"
            variant="default"
            disabled={!connected}
            aria-label={`Send Ctrl+Alt+Del to ${name}`}
            onClick={() => {
              rfb.current?.sendCtrlAltDel();
              rfb.current?.focus();
            }}
          >
            Send Ctrl+Alt+Del
          </Button>
          <Button
            size="xs"
            variant="default"
            aria-label={fullscreen ? "Leave fullscreen" : `Show the screen of ${name} fullscreen`}
            onClick={toggleFullscreen}
          >
            {fullscreen ? "Leave fullscreen" : "Fullscreen"}
          </Button>
          {actions}
        </Group>
      </Group>
      {state.kind === "closed" && (
        <Alert color="orange" title="Console closed" mb="xs">
          <Text size="sm">{state.reason}</Text>
        </Alert>
      )}
      <Box
        ref={screen}
        aria-label={`Screen of ${name}`}
        role="application"
        h={fullscreen ? "calc(100vh - 52px)" : height}
        bg="black"
        style={{ overflow: "hidden", display: state.kind === "closed" ? "none" : undefined }}
      />
    </Box>
  );
}
