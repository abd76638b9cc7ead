/**
 * Uploads a snapshot's file to the servers (Nova's compute pushing the image to Glance): PUT
 * `SNAPSHOT_UPLOAD_PATH(imageId)` with the host's own credential, streamed from the file with
 * its length. A server that answers (even with a refusal: the image is killed by then) settles
 * it; only one that cannot be reached makes the next server be tried.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { Logger } from "pino";
import { SNAPSHOT_SIMULATED_HEADER, SNAPSHOT_UPLOAD_PATH } from "@nimbus/core/protocol/http";
import { messageOf } from "./error-message";
import { agentHttpHeaders, type AuthProvider } from "./host-auth";
import { reasonOf } from "./http-reason";

/** Where the compute manager sends a snapshot's bits. */
export interface SnapshotSink {
  upload(imageId: string, file: string, options: { simulated: boolean }): Promise<void>;
}

export interface SnapshotUploaderOptions {
  serverUrls: string[];
  hostname: string;
  auth: AuthProvider;
  log: Logger;
}

export class SnapshotUploader implements SnapshotSink {
  constructor(private readonly options: SnapshotUploaderOptions) {
    if (options.serverUrls.length === 0) throw new Error("The snapshot uploader needs at least one server URL.");
  }

  async upload(imageId: string, file: string, { simulated }: { simulated: boolean }): Promise<void> {
    const { serverUrls, hostname, auth, log } = this.options;
    const { size } = await stat(file);
    const unreachable: string[] = [];
    for (const server of serverUrls) {
      const url = `${server}${SNAPSHOT_UPLOAD_PATH(imageId)}`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: "PUT",
          headers: {
            ...(await agentHttpHeaders(auth, hostname)),
            "content-type": "application/octet-stream",
            "content-length": String(size),
            ...(simulated ? { [SNAPSHOT_SIMULATED_HEADER]: "true" } : {}),
          },
          body: Readable.toWeb(createReadStream(file)) as ReadableStream,
          // A redirect would carry the host credential to an address nobody configured.
          redirect: "error",
          duplex: "half",
        } as RequestInit);
      } catch (error) {
        log.warn({ url, imageId, reason: messageOf(error) }, "snapshot upload could not reach a server");
        unreachable.push(messageOf(error));
        continue;
      }
      if (!response.ok) throw new Error(`The image service refused the snapshot (HTTP ${response.status}): ${await reasonOf(response)}`);
      await response.body?.cancel();
      log.info({ imageId, bytes: size, simulated }, "snapshot uploaded");
      return;
    }
    throw new Error(`The snapshot could not be uploaded: no server answered (${unreachable.join("; ")}).`);
  }
}
