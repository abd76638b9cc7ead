/** Where the console PUTs an image's bits (plain HTTP, not tRPC: the body is the raw file). */
export function imageUploadPath(imageId: string): string {
  return `/api/images/${encodeURIComponent(imageId)}/file`;
}

/** `/api/images/<id>/file` → the id, or null for any other path. */
export function imageIdOfUploadPath(url: string): string | null {
  const match = /^\/api\/images\/([^/?#]+)\/file(?:[?#].*)?$/.exec(url);
  return match ? decodeURIComponent(match[1]!) : null;
}
