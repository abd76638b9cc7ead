/**
 * HTTP/1.1 as an attacker writes it, over a plain TCP socket: request targets no client library
 * would send (malformed percent-encodings), bodies longer than declared or trickled byte by
 * byte, and a view of whether the server closed the connection.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first response in `data` once its head and (declared-length) body are complete. */
function parseResponse(data: Buffer, closed: boolean): RawResponse | null {
  const end = data.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const [statusLine, ...lines] = data.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine?.split(" ")[1]);
  const rest = data.subarray(end + 4);
  if (headers["transfer-encoding"] === "chunked") {
    const body = dechunked(rest);
    return body === null ? null : { status, headers, body: body.toString("utf8") };
  }
  const length = headers["content-length"] === undefined ? null : Number(headers["content-length"]);
  if (length === null ? !closed : rest.length < length) return null;
  return { status, headers, body: rest.subarray(0, length ?? rest.length).toString("utf8") };
}

/** A chunked body once its last chunk has arrived, else null. */
function dechunked(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const line = data.indexOf("\r\n", at);
    if (line === -1) return null;
    const size = Number.parseInt(data.subarray(at, line).toString("latin1"), 16);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < line + 2 + size + 2) return null;
    parts.push(data.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
}

/** A connection to `baseUrl` that collects what the server sends and notices when it closes. */
export class RawConnection {
  readonly socket: Socket;
  private received = Buffer.alloc(0);
  private closedAt: number | null = null;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    // A reset (the server gave up on a body still arriving) is a close too.
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closedAt = Date.now();
      this.wake();
    });
  }

  static open(baseUrl: string): Promise<RawConnection> {
    const url = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.closedAt !== null;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Writes `data`; false if the server had closed the connection already. */
  write(data: string | Buffer): Promise<boolean> {
    if (this.socket.destroyed || this.closed) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(data, (error) => resolve(!error)));
  }

  /** Waits for the next complete response (or null if the connection closes without one) within `timeoutMs`. */
  async response(timeoutMs = 10_000): Promise<RawResponse | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.received, this.closed);
      if (parsed) {
        this.received = Buffer.alloc(0);
        return parsed;
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the server closes the connection; the time it took from now, or throws after `timeoutMs`. */
  async closing(timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (!this.closed) {
      if (Date.now() - started > timeoutMs) throw new Error(`the server kept the connection open for ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closedAt! - started;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on its own connection (`Connection: close`), answered. */
export async function rawRequest(
  baseUrl: string,
  { method = "GET", target, headers = {}, body }: { method?: string; target: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse | null> {
  const connection = await RawConnection.open(baseUrl);
  const all = {
    host: new URL(baseUrl).host,
    connection: "close",
    ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}),
    ...headers,
  };
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")}\r\n`;
  await connection.write(head + (body ?? ""));
  try {
    return await connection.response();
  } finally {
    connection.close();
  }
}
