/**
 * Live serial consoles: the compute agent tails each running guest's console log and sends what
 * the guest wrote to the server as `instance.console` chunks, each at its byte offset in the
 * guest's output, one chunk in flight per instance until the server acknowledges it.
 */
import { open, rename, readFile, stat, writeFile, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { MAX_CONSOLE_CHUNK_CHARS, type CommandAck, type ConsoleChunk } from "@nimbus/core/protocol/agent";
import { AckSession, ENDED, type Delivery } from "./ack-session";
import { isMissingFile, messageOf } from "./error-message";

/** Sends one chunk to the server; rejects when no acknowledgement came in time. */
export type SendConsoleChunk = (chunk: ConsoleChunk) => Promise<CommandAck>;

export interface ConsoleStreamerOptions {
  log: Logger;
  /** How often a console log is checked for new output. */
  pollMs?: number;
  /** How long to wait before resending a chunk that got no acknowledgement on a live connection. */
  retryMs?: number;
}

const DEFAULT_POLL_MS = 100;
const DEFAULT_RETRY_MS = 1000;
/**
 * Bytes read per chunk. A UTF-8 byte never decodes to more than one UTF-16 unit (4-byte
 * characters are 2 units), so a chunk's text is never longer than the protocol allows.
 */
const CHUNK_BYTES = MAX_CONSOLE_CHUNK_CHARS;

/**
 * Where the stream of a console log stands, kept beside it (`<log>.sent`) so an agent that
 * restarts resumes there and resends exactly the chunk that may have been lost in flight.
 */
const positionSchema = z.object({
  /** The log file's inode: a different file (rotated or recreated) starts from its beginning. */
  ino: z.number().int().nonnegative(),
  /** The chunk in flight: its place in the file, its offset in the stream, its length in bytes. */
  fileOffset: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
type Position = z.infer<typeof positionSchema>;

type Outcome = Delivery | typeof STOPPED;
const STOPPED = Symbol("stopped");

/** A chunk read from the log, sent or about to be, until the server acknowledges it. */
interface Pending {
  chunk: ConsoleChunk;
  /** Where in the file the chunk starts and how many bytes of it the chunk holds. */
  fileOffset: number;
  bytes: number;
}

/**
 * How many leading bytes of `buffer` end on a whole UTF-8 character: an incomplete multi-byte
 * sequence at the end waits for the rest of its bytes. Invalid bytes count as whole (they decode
 * to U+FFFD), so nothing is held back forever but the last 1–3 bytes of a character.
 */
export function wholeUtf8Length(buffer: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, buffer.length); back++) {
    const byte = buffer[buffer.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const needed = byte >= 0xf8 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return back < needed ? buffer.length - back : buffer.length;
  }
  return buffer.length;
}

/** The console log's directory was removed with its instance. */
class ConsoleGone extends Error {}

/** One instance's console log, read from where the server's acknowledgements left it. */
class ConsoleTail {
  private file: FileHandle | null = null;
  private ino = 0;
  /** Where in the current file the next read starts. */
  private readPos = 0;
  /** Bytes read but not yet in a chunk: the start of a character whose other bytes are not written yet. */
  private carry: Buffer = Buffer.alloc(0);
  /** The stream offset of the next chunk (of `carry`'s first byte). */
  private nextOffset = 0;
  private pending: Pending | null = null;
  /** Set on resume: the first chunk re-reads exactly the bytes of the one that was in flight. */
  private resumeBytes: number | null = null;
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  private stopRequested: () => void = () => {};
  readonly stopped = new Promise<typeof STOPPED>((resolve) => (this.stopRequested = () => resolve(STOPPED)));
  private isStopped = false;
  private wakeUp: () => void = () => {};

  constructor(
    readonly instanceId: string,
    readonly path: string,
    private readonly streamer: ConsoleStreamer,
    private readonly log: Logger,
    private readonly pollMs: number,
    private readonly retryMs: number,
  ) {}

  stop(): void {
    this.isStopped = true;
    this.stopRequested();
  }

  /** Ends a poll or retry wait early (a connection came up). */
  wake(): void {
    this.wakeUp();
  }

  async run(): Promise<void> {
    try {
      await this.resume();
      while (!this.isStopped) {
        this.pending ??= await this.nextChunk();
        if (!this.pending) {
          await this.pause(this.pollMs);
          continue;
        }
        const outcome = await this.streamer.deliver(this.pending.chunk, this.stopped);
        if (outcome === STOPPED) break;
        // The connection dropped: the same chunk goes again once the agent is registered anew.
        if (outcome === ENDED) continue;
        if ("error" in outcome) {
          this.log.debug(
            { instanceId: this.instanceId, offset: this.pending.chunk.offset, reason: messageOf(outcome.error) },
            "console chunk not acknowledged; will resend",
          );
          await this.pause(this.retryMs);
          continue;
        }
        if (!outcome.ack.ok) {
          this.log.warn({ instanceId: this.instanceId, reason: outcome.ack.error }, "the server refused the console; no longer streaming it");
          this.streamer.release(this);
          break;
        }
        this.pending = null;
      }
    } catch (error) {
      if (error instanceof ConsoleGone)
        this.log.info({ instanceId: this.instanceId, path: this.path }, "the instance's directory is gone; console streaming ends");
      else this.log.error({ err: error, instanceId: this.instanceId, path: this.path }, "console streaming failed");
      this.streamer.release(this);
    } finally {
      await this.file?.close().catch(() => undefined);
      this.file = null;
    }
  }

  /** Waits `ms`, or less when woken or stopped. */
  private pause(ms: number): Promise<unknown> {
    const waited = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    return Promise.race([waited, this.stopped]);
  }

  /** Picks up where the saved position says, when it is about the same file. */
  private async resume(): Promise<void> {
    const position = await this.savedPosition();
    if (!position) return;
    if (!(await this.openFile())) {
      this.nextOffset = position.offset + position.bytes;
      return;
    }
    if (this.ino === position.ino) {
      this.readPos = position.fileOffset;
      this.nextOffset = position.offset;
      this.resumeBytes = position.bytes || null;
    } else {
      // Rotated or recreated while the agent was away: all of this file is new output.
      this.nextOffset = position.offset + position.bytes;
    }
    this.log.info({ instanceId: this.instanceId, offset: this.nextOffset }, "console stream resumed");
  }

  /**
   * Opens the log if it exists; false while it does not (the domain has not written it yet).
   * Throws when its directory is gone too: the instance was removed.
   */
  private async openFile(): Promise<boolean> {
    try {
      this.file = await open(this.path, "r");
      this.ino = (await this.file.stat()).ino;
      this.readPos = 0;
      return true;
    } catch (error) {
      if (!isMissingFile(error)) throw error;
      if (!(await stat(dirname(this.path)).catch(() => null))) throw new ConsoleGone();
      return false;
    }
  }

  /** Reads the next chunk of new output, or null when there is none yet. */
  private async nextChunk(): Promise<Pending | null> {
    if (!this.file && !(await this.openFile())) return null;
    const file = this.file;
    if (!file) return null;
    const want = Math.min(CHUNK_BYTES - this.carry.length, this.resumeBytes ?? CHUNK_BYTES);
    const { bytesRead } = await file.read(this.buffer, 0, want, this.readPos);
    if (bytesRead === 0) {
      await this.followFile(file);
      return null;
    }
    const fileOffset = this.readPos - this.carry.length;
    this.readPos += bytesRead;
    const bytes = Buffer.concat([this.carry, this.buffer.subarray(0, bytesRead)]);
    // A resent chunk must be byte for byte the one in flight, whole characters or not.
    const whole = this.resumeBytes !== null ? bytes.length : wholeUtf8Length(bytes);
    this.resumeBytes = null;
    this.carry = Buffer.from(bytes.subarray(whole));
    if (whole === 0) return null;
    const offset = this.nextOffset;
    this.nextOffset += whole;
    // PostgreSQL text cannot hold NUL, which serial consoles do emit.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this removes
    const data = this.decoder.decode(bytes.subarray(0, whole)).replace(/\u0000/g, "");
    const pending: Pending = { chunk: { instanceId: this.instanceId, offset, data }, fileOffset, bytes: whole };
    await this.savePosition(pending);
    return pending;
  }

  /**
   * At the end of the open file: if the log was rotated (another file now has its name) or
   * truncated (the domain restarted), carry on with the new content at the next stream offset.
   */
  private async followFile(file: FileHandle): Promise<void> {
    const current = await stat(this.path).catch(() => null);
    if (current && current.ino !== this.ino) {
      // What was written to the old file just before it was rotated comes first.
      if ((await file.stat()).size > this.readPos) return;
      await file.close();
      this.file = null;
      this.startOver();
      if (await this.openFile()) this.log.info({ instanceId: this.instanceId }, "console log rotated; following the new file");
    } else if (current && current.size < this.readPos) {
      this.readPos = 0;
      this.startOver();
      this.log.info({ instanceId: this.instanceId }, "console log truncated; following it from its start");
    }
  }

  /**
   * A new file continues the stream after everything before it: a chunk that was to be resent
   * counts as sent, and the 1–3 bytes of a character the old file ended in are skipped.
   */
  private startOver(): void {
    this.nextOffset += (this.resumeBytes ?? 0) + this.carry.length;
    this.resumeBytes = null;
    this.carry = Buffer.alloc(0);
  }

  private positionFile(): string {
    return `${this.path}.sent`;
  }

  /** The saved position; null when there is none or it cannot be read (the stream then starts at the beginning). */
  private async savedPosition(): Promise<Position | null> {
    try {
      const parsed = positionSchema.safeParse(JSON.parse(await readFile(this.positionFile(), "utf8")));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Written before the chunk is sent; an unwritable position only costs resending after a restart. */
  private async savePosition(pending: Pending): Promise<void> {
    const position: Position = { ino: this.ino, fileOffset: pending.fileOffset, offset: pending.chunk.offset, bytes: pending.bytes };
    const temporary = `${this.positionFile()}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(position));
      await rename(temporary, this.positionFile());
    } catch (error) {
      this.log.debug({ instanceId: this.instanceId, reason: messageOf(error) }, "could not save the console position");
    }
  }
}

/**
 * Streams the serial consoles of the instances it watches (Nova keeps `console.log` beside the
 * disk; Nimbus also sends it live). Each watched log is polled every `pollMs`; new output goes
 * out in chunks of at most MAX_CONSOLE_CHUNK_CHARS, never splitting a UTF-8 character, each
 * at its byte offset. A chunk stays in flight until the server acknowledges it: without an
 * acknowledgement it is resent as it was, after `retryMs` or after the next registration, and
 * the server keeps one chunk per (instance, offset). The position is saved beside each log, so
 * a restarted agent resumes where it was.
 */
export class ConsoleStreamer {
  private readonly tails = new Map<string, ConsoleTail>();
  /** Each tail's read loop, until it has finished. */
  private readonly runs = new Map<ConsoleTail, Promise<void>>();
  private session: AckSession<ConsoleChunk> | null = null;
  private sessionWaiters: (() => void)[] = [];
  private readonly pollMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: ConsoleStreamerOptions) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  }

  /** Starts streaming an instance's console log (a no-op when it is already watched there). */
  watch(instanceId: string, path: string): void {
    const current = this.tails.get(instanceId);
    if (current?.path === path) return;
    current?.stop();
    const tail = new ConsoleTail(instanceId, path, this, this.options.log.child({ console: instanceId }), this.pollMs, this.retryMs);
    this.tails.set(instanceId, tail);
    this.runs.set(
      tail,
      tail.run().finally(() => this.runs.delete(tail)),
    );
  }

  /**
   * Stops streaming an instance's console (a chunk in flight is dropped); resolves once its log
   * is closed and nothing more is written beside it, so its directory can be removed.
   */
  async stop(instanceId: string): Promise<void> {
    const tail = this.tails.get(instanceId);
    if (!tail) return;
    this.tails.delete(instanceId);
    tail.stop();
    await this.runs.get(tail);
  }

  /** A tail that gave up (refused by the server, or a read failed) leaves, unless another replaced it already. */
  release(tail: ConsoleTail): void {
    if (this.tails.get(tail.instanceId) === tail) this.tails.delete(tail.instanceId);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.tails.keys()].map((instanceId) => this.stop(instanceId)));
  }

  /** The instances being streamed. */
  watching(): string[] {
    return [...this.tails.keys()];
  }

  /** The agent is registered: chunks go out through `send` until `offline()`. */
  online(send: SendConsoleChunk): void {
    this.offline();
    this.session = new AckSession(send);
    for (const resolve of this.sessionWaiters.splice(0)) resolve();
    for (const tail of this.tails.values()) tail.wake();
  }

  /** The connection dropped: chunks in flight are resent in the next session. */
  offline(): void {
    this.session?.end();
    this.session = null;
  }

  /** For the tails: sends `chunk` in the current session, waiting for one if there is none. */
  async deliver(chunk: ConsoleChunk, stopped: Promise<typeof STOPPED>): Promise<Outcome> {
    while (!this.session) {
      const registered = new Promise<void>((resolve) => this.sessionWaiters.push(resolve));
      if ((await Promise.race([registered, stopped])) === STOPPED) return STOPPED;
    }
    return Promise.race([this.session.deliver(chunk), stopped]);
  }
}
