import type { OsRoute } from "../service";

/** Nova's volume attachments API: to be built. */
export const volumeAttachmentRoutes: OsRoute[] = [];
