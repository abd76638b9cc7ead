import type { RouterOutputs } from "@/lib/api-types";

/** An image as images.list returns it. */
export type ImageSummary = RouterOutputs["images"]["list"][number];
export type ImageStatus = ImageSummary["status"];
export type ImageKind = ImageSummary["kind"];

export const IMAGE_STATUS: Record<ImageStatus, { label: string; color: string; description: string }> = {
  queued: { label: "Queued", color: "gray", description: "Created; its data has not been uploaded." },
  saving: { label: "Saving", color: "blue", description: "Its data is being uploaded." },
  active: { label: "Active", color: "green", description: "Ready to use." },
  killed: { label: "Killed", color: "red", description: "The upload failed; delete the image and upload again." },
  deleted: { label: "Deleted", color: "gray", description: "Deleted." },
};

/** A member project's answer to a share (Glance's member_status). */
export const MEMBER_STATUS: Record<ImageSummary["members"][number]["status"], { label: string; color: string }> = {
  pending: { label: "Pending", color: "yellow" },
  accepted: { label: "Accepted", color: "green" },
  rejected: { label: "Rejected", color: "gray" },
};

/** How the owner names a member: its project name once it accepted, its id until then. */
export function memberLabel(member: Pick<ImageSummary["members"][number], "projectId" | "projectName">): string {
  return member.projectName ?? member.projectId;
}

export const IMAGE_KIND_LABEL: Record<ImageKind, string> = { disk: "Disk image", kernel: "Kernel", ramdisk: "Ramdisk" };

/** The format a user can trust: what qemu-img detected (active), or the part's aki / ari. */
export function shownFormat(image: Pick<ImageSummary, "status" | "kind" | "diskFormat">): string {
  if (image.kind !== "disk") return image.diskFormat ?? "—";
  return image.status === "active" ? (image.diskFormat ?? "—") : "—";
}

/** The first 12 hex digits of the sha256, as a short fingerprint. */
export function shortChecksum(checksum: string | null): string {
  return checksum ? checksum.slice(0, 12) : "—";
}
