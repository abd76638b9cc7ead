"use client";

import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";

export type SocketStatus = "connecting" | "connected" | "disconnected";

interface SocketContextValue {
  socket: Socket | null;
  status: SocketStatus;
}

const SocketContext = createContext<SocketContextValue>({ socket: null, status: "disconnected" });

/**
 * Holds the one socket.io connection of a signed-in session (default namespace, same origin;
 * the session cookie authenticates it). Mount it only once whoami has answered with a
 * principal: unmounting it (sign-out) disconnects. `sessionKey` changes with the user or
 * project, which opens a fresh connection scoped to the new project's room.
 *
 * Every connection, the first one too, refetches what is on screen: events sent before the
 * socket joined its rooms (a page fetched while the session's socket was still connecting) or
 * while it was down are not replayed, so the queries catch up from the API instead.
 */
export function SocketProvider({ sessionKey, children }: { sessionKey: string; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [value, setValue] = useState<SocketContextValue>({ socket: null, status: "connecting" });

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new session (sessionKey) opens a new socket with its cookie
  useEffect(() => {
    const socket = io({ withCredentials: true, transports: ["websocket", "polling"], tryAllTransports: true });
    setValue({ socket, status: "connecting" });
    const onConnect = () => {
      setValue({ socket, status: "connected" });
      void queryClient.invalidateQueries();
    };
    const onDisconnect = () => setValue({ socket, status: "disconnected" });
    const onConnectError = (error: Error) => {
      setValue({ socket, status: "disconnected" });
      // The server refuses a socket without a valid session: ask whoami again, which sends the
      // console to sign-in if the session is gone. socket.io does not retry a refused handshake.
      if (error.message === "unauthenticated") void queryClient.invalidateQueries({ queryKey: [["auth", "whoami"]] });
    };
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onConnectError);
    return () => {
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("connect_error", onConnectError);
      socket.disconnect();
    };
  }, [sessionKey, queryClient]);

  return <SocketContext.Provider value={value}>{children}</SocketContext.Provider>;
}

/** The session's socket (null before it is created) and its connection status. */
export function useSocket(): SocketContextValue {
  return useContext(SocketContext);
}
