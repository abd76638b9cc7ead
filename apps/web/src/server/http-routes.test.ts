import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpRefusal, rawRoutes, requestTarget, type RawRoute } from "./http-routes";

const ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

describe("requestTarget", () => {
  it("splits a target into raw path segments and a decoded query", () => {
    const { segments, query } = requestTarget("/api/images/a%20b/file?x=1&y=%C3%A9");
    expect(segments).toEqual(["api", "images", "a%20b", "file"]);
    expect(query.get("y")).toBe("é");
  });

  it("refuses a path segment or query part that does not decode, and a target that is not a path", () => {
    expect(() => requestTarget("/api/images/%E0/file")).toThrow(HttpRefusal);
    expect(() => requestTarget("/project/instances/%ED%A0%80")).toThrow(HttpRefusal);
    expect(() => requestTarget("/api/x?y=%E0")).toThrow(HttpRefusal);
    expect(() => requestTarget("/api/x?%ED%A0%80=1")).toThrow(HttpRefusal);
    expect(() => requestTarget("http://elsewhere/api/x")).toThrow(HttpRefusal);
  });
});

describe("rawRoutes: whatever a route throws is answered, logged and never leaves a socket open", () => {
  const logged: { msg: string; err?: { type: string; message: string } }[] = [];
  let server: Server;
  let url: string;
  const route = (path: string, handle: RawRoute["handle"]): RawRoute => ({
    path,
    methods: ["GET"],
    maxBodyBytes: 0,
    errorBody: (code, message) => ({ error: { code, message } }),
    handle,
  });

  beforeAll(async () => {
    const log = pino({ level: "error" }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const listener = rawRoutes({
      log,
      bodyTimeoutMs: 1000,
      routes: [
        route("/api/sync-throw", () => {
          throw new TypeError("a bug, thrown at once");
        }),
        route("/api/async-throw", async () => {
          await Promise.resolve();
          throw new Error("a bug, after an await");
        }),
        route("/api/half-answered", ({ res }) => {
          res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
          res.write("the first part of an answer");
          throw new Error("a bug mid-answer");
        }),
        route("/api/refused/:thingId", () => {
          throw new HttpRefusal(409, "Conflict", "Not now.");
        }),
        { ...route("/api/agent-style", () => {}), errorBody: (_code, message) => ({ error: message }) },
      ],
      pages: async () => {
        throw new Error("the page renderer failed");
      },
    });
    server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers a synchronous or asynchronous throw with 500 'Internal error.' as JSON, and logs it", async () => {
    for (const [path, message] of [
      ["/api/sync-throw", "a bug, thrown at once"],
      ["/api/async-throw", "a bug, after an await"],
      ["/console-page", "the page renderer failed"],
    ] as const) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(500);
      expect(await response.json(), path).toEqual({ error: { code: "Internal", message: "Internal error." } });
      expect(logged.some((entry) => entry.msg === "HTTP route failed" && entry.err?.message === message)).toBe(true);
    }
  });

  it("cuts the connection of an answer already under way, rather than leaving it hanging", async () => {
    const response = await fetch(`${url}/api/half-answered`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it("answers a refusal with its status in the route's own error body, and does not log it", async () => {
    const before = logged.length;
    const refused = await fetch(`${url}/api/refused/${ID}`);
    expect([refused.status, await refused.json()]).toEqual([409, { error: { code: "Conflict", message: "Not now." } }]);
    const wrongMethod = await fetch(`${url}/api/agent-style`, { method: "DELETE" });
    expect([wrongMethod.status, wrongMethod.headers.get("allow"), await wrongMethod.json()]).toEqual([405, "GET", { error: "Use GET here." }]);
    expect(logged.length).toBe(before);
  });

  it("answers 404 to a parameter that is not an id and to a path no route has, 400 to one that does not decode", async () => {
    expect((await fetch(`${url}/api/refused/not-an-id`)).status).toBe(404);
    expect((await fetch(`${url}/api/refused/${ID}/more`)).status).toBe(404);
    expect((await fetch(`${url}/api/refused/%E0`)).status).toBe(400);
  });

  it("refuses a body on a route that takes none with 413, before reading it", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${url}/api/sync-throw`, { method: "GET", headers: { "content-length": "10" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end("0123456789");
    });
    expect(status).toBe(413);
  });
});
