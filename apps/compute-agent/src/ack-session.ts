import type { CommandAck } from "@nimbus/core/protocol/agent";

/** The session ended (the connection dropped) before the server acknowledged. */
export const ENDED = Symbol("session ended");

/** How one send went: the server's acknowledgement, no acknowledgement in time, or the session ended first. */
export type Delivery<A = CommandAck> = { ack: A } | { error: unknown } | typeof ENDED;

/**
 * One registration's way to send something to the server and hear its acknowledgement (the
 * report outbox and the console streamer each hold one while the agent is registered). Ending
 * the session settles every send still waiting with ENDED, so what was in flight goes again in
 * the next session.
 */
export class AckSession<T, A = CommandAck> {
  private resolveEnded: () => void = () => {};
  private readonly ended = new Promise<typeof ENDED>((resolve) => (this.resolveEnded = () => resolve(ENDED)));

  /** `send` rejects when no acknowledgement came in time. */
  constructor(private readonly send: (item: T) => Promise<A>) {}

  deliver(item: T): Promise<Delivery<A>> {
    return Promise.race([
      this.send(item).then(
        (ack) => ({ ack }),
        (error: unknown) => ({ error }),
      ),
      this.ended,
    ]);
  }

  end(): void {
    this.resolveEnded();
  }
}
