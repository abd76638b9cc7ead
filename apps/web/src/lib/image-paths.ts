/** Where the console PUTs an image's bits (plain HTTP, not tRPC: the body is the raw file). */
export function imageUploadPath(imageId: string): string {
  return `/api/images/${encodeURIComponent(imageId)}/file`;
}
