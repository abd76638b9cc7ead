/**
 * The plain HTTP routes outside socket.io: those the compute agent calls (enrolment with a
 * one-time join token, image downloads with its host credential), and the graphical console's
 * page and WebSocket, which a console token opens.
 */
import { z } from "zod";
import { hostnameSchema } from "./agent";
import { text } from "../validation";

/** Enrolment (HTTP POST /api/agent/enroll): a one-time join token for a host credential. */
export const enrollRequestSchema = z.object({ joinToken: text("joinToken").min(16).max(512), hostname: hostnameSchema });
export const enrollResponseSchema = z.object({ hostname: hostnameSchema, credential: z.string().min(16) });
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;
export const ENROLL_PATH = "/api/agent/enroll";

/** Where an agent downloads an image's bits (GET, with its host credential). */
export const IMAGE_DOWNLOAD_PATH = (imageId: string) => `/api/agent/images/${imageId}/file`;

/** Where an agent uploads a snapshot's bits (PUT, with its host credential), for an image its instance is snapshotting. */
export const SNAPSHOT_UPLOAD_PATH = (imageId: string) => `/api/agent/snapshots/${imageId}/file`;
/** Set to `true` by a simulated host, whose snapshot is a blank disk (no real disk to copy). */
export const SNAPSHOT_SIMULATED_HEADER = "x-nimbus-snapshot-simulated";

/**
 * The graphical console's page: noVNC, connected through the console proxy with the token in
 * its URL (what Nova's remote console URL points at, `vnc_lite.html?path=?token=…`).
 */
export const REMOTE_CONSOLE_PAGE_PATH = "/remote-console";
/** The console proxy (nova-novncproxy): a WebSocket whose `?token=` is exchanged once for the guest's display. */
export const REMOTE_CONSOLE_WEBSOCKET_PATH = "/api/remote-console/websocket";

/** The URL path of a console token's page, as a remote console's `url` names it (after the console's origin). */
export function remoteConsolePath(token: string): string {
  return `${REMOTE_CONSOLE_PAGE_PATH}?token=${encodeURIComponent(token)}`;
}

/** The whole serial console log of an instance, as a file (GET, signed in as for the API). */
export const CONSOLE_LOG_PATH = (instanceId: string) => `/api/instances/${instanceId}/console-log`;

/**
 * How the console proxy closes a console's WebSocket, with a plain-words reason the page shows:
 * the token was refused (unknown, used, expired, or its credential no longer stands), the
 * credential that opened the console ended while it was open (sign-out, revocation, a role
 * lost), or the guest's display could not be reached or went away.
 */
export const REMOTE_CONSOLE_CLOSE = { tokenRefused: 4001, cutOff: 4003, display: 4004 } as const;
