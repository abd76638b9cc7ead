/**
 * The graphical console's WebSocket as a browser opens it (from the console's own origin, with
 * the token in the URL), for the integration tests: what the handshake answered, the bytes that
 * came (the guest's display speaks first: `RFB 003.008\n`), and how it closed.
 */
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import superjson from "superjson";
import { WebSocket } from "ws";
import { REMOTE_CONSOLE_WEBSOCKET_PATH } from "@nimbus/core/protocol/http";
import type { AppRouter } from "../src/server/trpc/router";

export interface ConsoleSocket {
  socket: WebSocket;
  /** The HTTP status of a refused handshake; null once the WebSocket opened. */
  opened: Promise<number | null>;
  /** Every byte received so far. */
  received(): Buffer;
  /** Resolves once at least `n` bytes arrived. */
  bytes(n: number): Promise<Buffer>;
  closed: Promise<{ code: number; reason: string }>;
}

export function openConsoleSocket(baseUrl: string, token: string, { origin = baseUrl }: { origin?: string | null } = {}): ConsoleSocket {
  const url = new URL(REMOTE_CONSOLE_WEBSOCKET_PATH, baseUrl);
  url.protocol = "ws:";
  url.searchParams.set("token", token);
  const socket = new WebSocket(url, origin === null ? {} : { origin });
  let data = Buffer.alloc(0);
  const waiting: { n: number; resolve: (b: Buffer) => void }[] = [];
  socket.on("message", (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
    for (const w of waiting.splice(0)) {
      if (data.length >= w.n) w.resolve(data);
      else waiting.push(w);
    }
  });
  const opened = new Promise<number | null>((resolve) => {
    socket.once("open", () => resolve(null));
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.once("error", () => resolve(0));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    socket,
    opened,
    received: () => data,
    bytes: (n) => (data.length >= n ? Promise.resolve(data) : new Promise((resolve) => waiting.push({ n, resolve }))),
    closed,
  };
}

/** A tRPC client that calls as a script does, with an API token. */
export function tokenClient(baseUrl: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, headers: () => ({ authorization: `Bearer ${token}` }) })],
  });
}

/**
 * The client's side of an RFB 3.8 handshake over a console socket (no authentication, as the
 * guests' displays are host-local), up to the display's ServerInit: its size and desktop name
 * (QEMU names it after the domain). Then one full-screen update is asked for and its header read.
 */
export async function rfbHandshake(
  console: ConsoleSocket,
): Promise<{ version: string; width: number; height: number; name: string; updateType: number }> {
  let at = 0;
  const take = async (n: number) => {
    const data = await console.bytes(at + n);
    const part = data.subarray(at, at + n);
    at += n;
    return part;
  };
  const version = (await take(12)).toString();
  console.socket.send(Buffer.from("RFB 003.008\n"));
  const count = (await take(1))[0]!;
  const types = [...(await take(count))];
  if (!types.includes(1)) throw new Error(`the display offers no "None" security type (offers ${types.join(", ")})`);
  console.socket.send(Buffer.from([1]));
  const result = (await take(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`security result ${result}`);
  console.socket.send(Buffer.from([1])); // ClientInit: shared
  const init = await take(24);
  const width = init.readUInt16BE(0);
  const height = init.readUInt16BE(2);
  const name = (await take(init.readUInt32BE(20))).toString();
  // FramebufferUpdateRequest (type 3), not incremental, the whole screen.
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt8(0, 1);
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  console.socket.send(request);
  const updateType = (await take(1))[0]!;
  return { version, width, height, name, updateType };
}
