import { createHash } from "node:crypto";

/**
 * The digests an image's bits are known by, computed in one pass as they stream by: sha256 (what
 * agents verify a download with), and Glance's two, MD5 (`checksum`) and SHA-512 (`os_hash_value`
 * with `os_hash_algo` sha512, Glance's default `hashing_algorithm`), which clients compare.
 */
export interface ImageDigests {
  sha256: string;
  md5: string;
  sha512: string;
}

export function imageDigester() {
  const hashes = { sha256: createHash("sha256"), md5: createHash("md5"), sha512: createHash("sha512") };
  return {
    update(chunk: Buffer): void {
      hashes.sha256.update(chunk);
      hashes.md5.update(chunk);
      hashes.sha512.update(chunk);
    },
    digest(): ImageDigests {
      return { sha256: hashes.sha256.digest("hex"), md5: hashes.md5.digest("hex"), sha512: hashes.sha512.digest("hex") };
    },
  };
}
