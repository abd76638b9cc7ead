/** ConsoleStreamer against real files appended in steps, with a stand-in for the server's acknowledgements. */
import { randomUUID } from "node:crypto";
import { appendFile, mkdir, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_CONSOLE_CHUNK_CHARS, consoleChunkSchema, type CommandAck, type ConsoleChunk } from "@nimbus/core/protocol/agent";
import { ConsoleStreamer, wholeUtf8Length, type SendConsoleChunk } from "../src/console-stream";
import { memoryLog } from "./support/memory-log";

/** What the server received, in order, and a way to wait until it has received enough. */
class Receiver {
  readonly received: ConsoleChunk[] = [];
  private readonly waiters = new Set<() => void>();

  /** A `send` that records each chunk and answers with `answer` (by default: acknowledged). */
  send(answer: (chunk: ConsoleChunk) => Promise<CommandAck> = async () => ({ ok: true })): SendConsoleChunk {
    return (chunk) => {
      // What the agent sends must pass the server's own schema.
      this.received.push(consoleChunkSchema.parse(chunk));
      for (const notify of this.waiters) notify();
      return answer(chunk);
    };
  }

  until(predicate: (received: ConsoleChunk[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.received)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/** Never answers: the chunk stays in flight. */
const noAnswer = () => new Promise<CommandAck>(() => {});
const text = (chunks: ConsoleChunk[]) => chunks.map((c) => c.data).join("");
const bytes = (value: string) => Buffer.byteLength(value, "utf8");

let dir: string;
let logFile: string;
const streamers: ConsoleStreamer[] = [];

function streamer(retryMs = 1000): ConsoleStreamer {
  const created = new ConsoleStreamer({ log: memoryLog().log, pollMs: 20, retryMs });
  streamers.push(created);
  return created;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "nimbus-console-"));
  logFile = path.join(dir, "console.log");
});

afterEach(async () => {
  await Promise.all(streamers.splice(0).map((s) => s.stopAll()));
  await rm(dir, { recursive: true, force: true });
});

describe("wholeUtf8Length", () => {
  it("holds back only the start of a character whose other bytes are still to come", () => {
    const smile = Buffer.from("😀"); // 4 bytes
    expect(wholeUtf8Length(Buffer.concat([Buffer.from("ab"), smile]))).toBe(6);
    expect(wholeUtf8Length(Buffer.concat([Buffer.from("ab"), smile.subarray(0, 3)]))).toBe(2);
    expect(wholeUtf8Length(Buffer.concat([Buffer.from("ab"), smile.subarray(0, 1)]))).toBe(2);
    expect(wholeUtf8Length(Buffer.from("é").subarray(0, 1))).toBe(0);
    // Stray continuation bytes and invalid leads are passed on (they decode to U+FFFD).
    expect(wholeUtf8Length(Buffer.from([0x61, 0x80, 0x80, 0x80]))).toBe(4);
    expect(wholeUtf8Length(Buffer.from([0x61, 0xff]))).toBe(2);
  });
});

describe("ConsoleStreamer", () => {
  it("sends what the guest writes as it writes it, each chunk at its byte offset, characters whole", async () => {
    const receiver = new Receiver();
    const consoles = streamer();
    const instanceId = randomUUID();
    // Watched before the domain has written anything: the file does not exist yet.
    consoles.watch(instanceId, logFile);
    consoles.online(receiver.send());

    await writeFile(logFile, "boot: hé\n");
    await receiver.until((r) => text(r) === "boot: hé\n", "the first line");

    // A four-byte character written in two steps is never split between two chunks.
    const smile = Buffer.from("😀");
    await appendFile(logFile, Buffer.concat([Buffer.from("ab"), smile.subarray(0, 2)]));
    await receiver.until((r) => text(r).endsWith("ab"), "the bytes before the split character");
    await appendFile(logFile, Buffer.concat([smile.subarray(2), Buffer.from("c\u0000d ✓\n")]));
    await receiver.until((r) => text(r).endsWith("✓\n"), "the rest of the line");

    expect(text(receiver.received)).toBe("boot: hé\nab😀cd ✓\n");
    expect(receiver.received.some((c) => c.data.includes("\uFFFD"))).toBe(false);
    expect(receiver.received.every((c) => c.instanceId === instanceId)).toBe(true);
    // Offsets are byte offsets in the log: each chunk starts where the previous one's bytes end
    // (the NUL is in the file, not in the text PostgreSQL stores).
    expect(receiver.received[0]?.offset).toBe(0);
    expect(receiver.received.find((c) => c.data.startsWith("😀"))?.offset).toBe(bytes("boot: hé\nab"));
    const last = receiver.received.at(-1);
    // The last chunk ends at the end of the file, less the NUL it left out.
    expect(last && last.offset + bytes(last.data) + 1).toBe(bytes("boot: hé\nab😀c\u0000d ✓\n"));
  });

  it("splits a large burst into chunks the protocol accepts, none cutting a character", async () => {
    const receiver = new Receiver();
    const consoles = streamer();
    // 3-byte characters: the chunk size (64 KiB) is not a multiple of 3.
    const burst = `${"✓".repeat(60_000)}\nend\n`;
    await writeFile(logFile, burst);
    consoles.online(receiver.send());
    consoles.watch(randomUUID(), logFile);
    await receiver.until((r) => text(r).endsWith("end\n"), "the whole burst");

    expect(text(receiver.received)).toBe(burst);
    expect(receiver.received.length).toBeGreaterThan(2);
    let offset = 0;
    for (const chunk of receiver.received) {
      expect(chunk.data.length).toBeLessThanOrEqual(MAX_CONSOLE_CHUNK_CHARS);
      expect(chunk.offset).toBe(offset);
      offset += bytes(chunk.data);
    }
  });

  it("after a lost connection resends the unacknowledged chunk as it was, then the newer output", async () => {
    const receiver = new Receiver();
    const consoles = streamer();
    consoles.watch(randomUUID(), logFile);
    await writeFile(logFile, "first\n");
    consoles.online(receiver.send(noAnswer));
    await receiver.until((r) => r.length === 1, "the first chunk");

    consoles.offline();
    await appendFile(logFile, "second\n");
    consoles.online(receiver.send());
    await receiver.until((r) => text(r.slice(1)) === "first\nsecond\n", "the resent chunk and the new one");

    // The server may have stored the first send: the resend has the same offset and the same text.
    expect(receiver.received.slice(0, 3).map(({ offset, data }) => ({ offset, data }))).toEqual([
      { offset: 0, data: "first\n" },
      { offset: 0, data: "first\n" },
      { offset: 6, data: "second\n" },
    ]);
  });

  it("resends a chunk whose acknowledgement timed out on a live connection", async () => {
    const receiver = new Receiver();
    const consoles = streamer(20);
    let attempts = 0;
    consoles.online(receiver.send(async () => (++attempts === 1 ? Promise.reject(new Error("operation has timed out")) : { ok: true })));
    await writeFile(logFile, "retry me\n");
    consoles.watch(randomUUID(), logFile);
    await receiver.until((r) => r.length === 2, "the resend");
    expect(receiver.received[1]).toEqual(receiver.received[0]);
  });

  it("after an agent restart resumes at the saved position, resending the chunk that was in flight", async () => {
    const receiver = new Receiver();
    const instanceId = randomUUID();
    const before = streamer();
    before.watch(instanceId, logFile);
    await writeFile(logFile, "one\n");
    before.online(receiver.send(noAnswer));
    await receiver.until((r) => r.length === 1, "the chunk in flight");
    await before.stopAll();

    await appendFile(logFile, "two\n");
    const after = streamer();
    after.watch(instanceId, logFile);
    after.online(receiver.send());
    await receiver.until((r) => text(r.slice(1)) === "one\ntwo\n", "the resumed stream");
    expect(receiver.received.slice(1).map(({ offset, data }) => ({ offset, data }))).toEqual([
      { offset: 0, data: "one\n" },
      { offset: 4, data: "two\n" },
    ]);
  });

  it("starts from the beginning when the saved position is unreadable", async () => {
    const receiver = new Receiver();
    await writeFile(`${logFile}.sent`, "{not json");
    await writeFile(logFile, "from the start\n");
    const consoles = streamer();
    consoles.online(receiver.send());
    consoles.watch(randomUUID(), logFile);
    await receiver.until((r) => text(r) === "from the start\n", "the whole log");
    expect(receiver.received[0]?.offset).toBe(0);
  });

  it("follows a rotated or truncated log, with offsets that keep counting up", async () => {
    const receiver = new Receiver();
    const consoles = streamer();
    consoles.online(receiver.send());
    consoles.watch(randomUUID(), logFile);
    await writeFile(logFile, "old file\n");
    await receiver.until((r) => text(r) === "old file\n", "the first file");

    // virtlogd rotates console.log to console.log.0 and starts a new file.
    await rename(logFile, `${logFile}.0`);
    await writeFile(logFile, "new file\n");
    await receiver.until((r) => text(r).endsWith("new file\n"), "the new file");

    // A domain restarted without append truncates its log.
    await truncate(logFile, 0);
    await writeFile(logFile, "again\n");
    await receiver.until((r) => text(r).endsWith("again\n"), "the truncated file's new output");

    expect(receiver.received.map(({ offset, data }) => ({ offset, data }))).toEqual([
      { offset: 0, data: "old file\n" },
      { offset: 9, data: "new file\n" },
      { offset: 18, data: "again\n" },
    ]);
  });

  it("stops streaming an instance the server refuses, and on stop", async () => {
    const receiver = new Receiver();
    const consoles = streamer();
    const refused = randomUUID();
    const stopped = randomUUID();
    consoles.online(
      receiver.send(async (chunk) => (chunk.instanceId === refused ? { ok: false, error: "that instance is not on this host" } : { ok: true })),
    );
    await writeFile(logFile, "hello\n");
    consoles.watch(refused, logFile);
    consoles.watch(stopped, logFile);
    await receiver.until((r) => r.some((c) => c.instanceId === refused), "the refused chunk");
    await receiver.until((r) => r.some((c) => c.instanceId === stopped), "the other instance's chunk");
    await expect.poll(() => consoles.watching()).toEqual([stopped]);
    await consoles.stop(stopped);
    expect(consoles.watching()).toEqual([]);
  });

  it("gives up on a console whose instance directory was removed", async () => {
    const consoles = streamer();
    const instanceDir = path.join(dir, "instance");
    await mkdir(instanceDir);
    const instanceId = randomUUID();
    consoles.watch(instanceId, path.join(instanceDir, "console.log"));
    expect(consoles.watching()).toEqual([instanceId]);
    await rm(instanceDir, { recursive: true });
    await expect.poll(() => consoles.watching()).toEqual([]);
  });
});
