/**
 * The console proxy's byte pump alone, between a real WebSocket and a real TCP socket. The
 * "display" here is a plain `net` server standing in for a guest's VNC server: this file tests
 * carrying bytes, not VNC (the graphical console against a real guest's display is tested in
 * test/remote-console-guest.test.ts and e2e/real-guest.spec.ts).
 */
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { closeReason, pumpBytes, type Pump, type PumpEnd } from "./pump";

interface Rig {
  /** The browser's end. */
  browser: WebSocket;
  /** The stand-in display's end of its connection with the proxy. */
  display: Socket;
  /** The proxy's end of it. */
  proxySide: Socket;
  pump: Pump;
  ended: Promise<PumpEnd>;
  /** How the browser's socket closes (listened for from the start). */
  closed: Promise<{ code: number; reason: string }>;
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function listen<S extends HttpServer | TcpServer>(server: S): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

/** A WebSocket server that pumps each connection to `displayPort`, a browser connected to it, and the display's side of the TCP connection. */
async function rig(displayPort?: number): Promise<Rig> {
  const tcp = displayPort === undefined ? createTcpServer() : null;
  const displaySide = tcp ? (once(tcp, "connection") as Promise<[Socket]>) : null;
  const port = displayPort ?? (await listen(tcp!));
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const pumped = new Promise<{ pump: Pump; ended: Promise<PumpEnd>; proxySide: Socket }>((resolve) =>
    wss.on("connection", (ws) => {
      let end!: (e: PumpEnd) => void;
      const ended = new Promise<PumpEnd>((r) => (end = r));
      const proxySide = connect({ host: "127.0.0.1", port });
      resolve({ pump: pumpBytes(ws, proxySide, end), ended, proxySide });
    }),
  );
  const httpPort = await listen(http);
  closers.push(() => {
    wss.close();
    http.close();
    tcp?.close();
  });
  const browser = new WebSocket(`ws://127.0.0.1:${httpPort}/`);
  browser.binaryType = "nodebuffer";
  const closed = closeOf(browser);
  closers.push(() => browser.terminate());
  await once(browser, "open");
  const { pump, ended, proxySide } = await pumped;
  const display = displaySide ? (await displaySide)[0] : proxySide;
  return { browser, display, proxySide, pump, ended, closed };
}

/** Everything `socket` receives until it has `n` bytes. */
function receive(source: Socket | WebSocket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (data: Buffer) => {
      chunks.push(data);
      size += data.length;
      if (size >= n) {
        source.off(source instanceof WebSocket ? "message" : "data", onData);
        resolve(Buffer.concat(chunks));
      }
    };
    source.on(source instanceof WebSocket ? "message" : "data", onData);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe("pumpBytes (a net server standing in for the VNC display)", () => {
  it("carries bytes both ways unchanged and in order, whatever the message boundaries", async () => {
    const { browser, display, pump } = await rig();
    const greeting = receive(browser, 12);
    display.write("RFB 003.008\n");
    expect((await greeting).toString()).toBe("RFB 003.008\n");

    const sent = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const atDisplay = receive(display, sent.length);
    for (let i = 0; i < sent.length; i += 7) browser.send(sent.subarray(i, i + 7));
    expect((await atDisplay).equals(sent)).toBe(true);
    expect(pump.bytes).toEqual({ toBrowser: 12, toDisplay: 3000 });
  });

  it("stops reading the display while the browser does not take its bytes, and delivers all of them once it does", async () => {
    const { browser, display, proxySide, pump } = await rig();
    const total = 64 * 1024 * 1024;
    const block = Buffer.alloc(64 * 1024, 7);
    const browserSocket = (browser as unknown as { _socket: Socket })._socket;
    // The browser stops reading its socket; the display writes as fast as it is let.
    browserSocket.pause();
    let written = 0;
    const writing = (async () => {
      while (written < total) {
        written += block.length;
        if (!display.write(block)) await once(display, "drain");
      }
    })();
    // The proxy stops reading the display once 4 MiB wait for the browser, long before 64 MiB…
    await waitUntil(() => proxySide.isPaused());
    expect(pump.bytes.toBrowser).toBeLessThan(8 * 1024 * 1024);
    expect(written).toBeLessThan(total);
    // … and reads on once the browser takes them: every byte arrives.
    const arrived = receive(browser, total);
    browserSocket.resume();
    await writing;
    const all = await arrived;
    expect(all.length).toBe(total);
    expect(all.every((b) => b === 7)).toBe(true);
  });

  it("closes the browser's socket with 4004 and plain words when the display closes", async () => {
    const { display, ended, closed } = await rig();
    display.end();
    expect(await closed).toEqual({ code: 4004, reason: "The guest's display closed the connection." });
    expect(await ended).toEqual({ by: "display", error: null });
  });

  it("closes the display's socket when the browser goes", async () => {
    const { browser, display, ended } = await rig();
    const gone = once(display, "close");
    browser.close();
    await gone;
    expect(await ended).toEqual({ by: "browser" });
  });

  it("closes both sides with the proxy's code and reason when told to (a cut-off)", async () => {
    const { display, pump, ended, closed } = await rig();
    const gone = once(display, "close");
    pump.close(4003, "You signed out, and the console closed with your session.");
    expect(await closed).toEqual({ code: 4003, reason: "You signed out, and the console closed with your session." });
    await gone;
    expect(await ended).toEqual({ by: "proxy", code: 4003, reason: "You signed out, and the console closed with your session." });
  });

  it("says the display could not be reached when nothing listens there", async () => {
    const vacant = createTcpServer();
    const port = await listen(vacant);
    await new Promise((resolve) => vacant.close(resolve));
    const { ended, closed } = await rig(port);
    expect(await closed).toEqual({ code: 4004, reason: "The guest's display could not be reached." });
    expect((await ended).by).toBe("display");
  });

  it("refuses text messages: RFB travels as binary", async () => {
    const { browser, closed } = await rig();
    browser.send("RFB 003.008\n");
    expect((await closed).code).toBe(1003);
  });
});

describe("closeReason", () => {
  it("keeps a WebSocket close reason within 123 bytes of UTF-8, cut at a character", () => {
    expect(closeReason("short")).toBe("short");
    const long = "é".repeat(100);
    expect(Buffer.byteLength(closeReason(long))).toBeLessThanOrEqual(123);
    expect(closeReason(long)).toBe("é".repeat(61));
  });
});

/** Polls a condition the sockets make true. */
async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
