/** Where the console PUTs an image's bits (plain HTTP, not tRPC: the body is the raw file). */
export function imageUploadPath(imageId: string): string {
  return `/api/images/${encodeURIComponent(imageId)}/file`;
}

/** `<prefix>/<id>/file` (a query or fragment allowed) → the id, or null for any other path. */
export function imageIdOfFilePath(url: string, prefix: string): string | null {
  if (!url.startsWith(`${prefix}/`)) return null;
  const match = /^([^/?#]+)\/file(?:[?#].*)?$/.exec(url.slice(prefix.length + 1));
  return match ? decodeURIComponent(match[1]!) : null;
}

/** `/api/images/<id>/file` → the id, or null for any other path. */
export function imageIdOfUploadPath(url: string): string | null {
  return imageIdOfFilePath(url, "/api/images");
}
