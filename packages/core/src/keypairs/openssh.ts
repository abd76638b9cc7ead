/**
 * OpenSSH key formats, as ssh-keygen writes them: the one-line public key (RFC 4253 §6.6 blobs
 * for ssh-rsa, RFC 5656 for ecdsa-sha2-*, RFC 8709 for ssh-ed25519), its SHA256 fingerprint,
 * and the `openssh-key-v1` private key container (OpenSSH's PROTOCOL.key), unencrypted.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";

export const KEY_ALGORITHMS = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Below this an RSA key is refused (OpenSSH's own minimum since 9.x is 1024; NIST's is 2048). */
export const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16_384;

const EC_CURVES = {
  "ecdsa-sha2-nistp256": { name: "nistp256", jwk: "P-256", coordinateBytes: 32 },
  "ecdsa-sha2-nistp384": { name: "nistp384", jwk: "P-384", coordinateBytes: 48 },
  "ecdsa-sha2-nistp521": { name: "nistp521", jwk: "P-521", coordinateBytes: 66 },
} as const;

/** A public key that is not a valid OpenSSH key line; the message says what is wrong in plain words. */
export class PublicKeyError extends Error {
  override readonly name = "PublicKeyError";
}

export interface PublicKey {
  algorithm: KeyAlgorithm;
  /** The wire-format key blob (what the base64 field decodes to). */
  blob: Buffer;
  comment: string;
  /** Key size: RSA modulus bits, the curve's bits, 256 for ed25519. */
  bits: number;
  /** The canonical line: `algorithm base64 [comment]`. */
  line: string;
}

/** Reads the SSH wire encoding: uint32 big-endian lengths before each string. */
class WireReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  string(what: string): Buffer {
    if (this.offset + 4 > this.buffer.length) throw new PublicKeyError(`The key data ends before its ${what}.`);
    const length = this.buffer.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (start + length > this.buffer.length) throw new PublicKeyError(`The key data ends inside its ${what}.`);
    this.offset = start + length;
    return this.buffer.subarray(start, start + length);
  }

  /** An mpint (RFC 4251 §5): two's complement, big-endian; here it must be positive. */
  positiveMpint(what: string): Buffer {
    const bytes = this.string(what);
    if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) throw new PublicKeyError(`The key's ${what} is not a positive number.`);
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    return bytes.subarray(start);
  }

  end(): void {
    if (this.offset !== this.buffer.length) throw new PublicKeyError("The key data has extra bytes after the key.");
  }
}

function wireString(value: Buffer | string): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function bitLength(positive: Buffer): number {
  const top = positive[0] ?? 0;
  return top === 0 ? 0 : (positive.length - 1) * 8 + (32 - Math.clz32(top));
}

const isAlgorithm = (value: string): value is KeyAlgorithm => (KEY_ALGORITHMS as readonly string[]).includes(value);

/** OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the blob's SHA-256 (`ssh-keygen -lf`). */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Checks the blob's structure for its algorithm (the type inside must match) and returns the key size. */
function checkBlob(algorithm: KeyAlgorithm, blob: Buffer): number {
  const reader = new WireReader(blob);
  const inner = reader.string("type").toString("latin1");
  if (inner !== algorithm)
    throw new PublicKeyError(`The line says ${algorithm} but the key data inside is ${inner.length > 40 ? "of another type" : `"${inner}"`}.`);
  if (algorithm === "ssh-ed25519") {
    const key = reader.string("public point");
    reader.end();
    if (key.length !== 32) throw new PublicKeyError(`An ed25519 public key is 32 bytes, this one is ${key.length}.`);
    return 256;
  }
  if (algorithm === "ssh-rsa") {
    const e = reader.positiveMpint("exponent");
    const n = reader.positiveMpint("modulus");
    reader.end();
    const bits = bitLength(n);
    if (bits < MIN_RSA_BITS)
      throw new PublicKeyError(`This RSA key has ${bits} bits; use at least ${MIN_RSA_BITS} (ssh-keygen -t rsa -b 4096, or ed25519).`);
    if (bits > MAX_RSA_BITS) throw new PublicKeyError(`This RSA key has ${bits} bits; at most ${MAX_RSA_BITS} are accepted.`);
    if (bitLength(e) < 2 || (e[e.length - 1]! & 1) === 0) throw new PublicKeyError("The RSA exponent is not a valid public exponent.");
    try {
      createPublicKey({ key: { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") }, format: "jwk" });
    } catch {
      throw new PublicKeyError("The RSA key data is not a valid public key.");
    }
    return bits;
  }
  const curve = EC_CURVES[algorithm];
  const curveName = reader.string("curve name").toString("latin1");
  const point = reader.string("public point");
  reader.end();
  if (curveName !== curve.name) throw new PublicKeyError(`The line says ${algorithm} but the key data names curve "${curveName.slice(0, 40)}".`);
  if (point.length !== 1 + 2 * curve.coordinateBytes || point[0] !== 0x04)
    throw new PublicKeyError(`The ${curve.name} public point is not an uncompressed point of that curve.`);
  const x = point.subarray(1, 1 + curve.coordinateBytes);
  const y = point.subarray(1 + curve.coordinateBytes);
  try {
    // OpenSSL refuses a point that is not on the curve.
    createPublicKey({ key: { kty: "EC", crv: curve.jwk, x: x.toString("base64url"), y: y.toString("base64url") }, format: "jwk" });
  } catch {
    throw new PublicKeyError(`The public point is not on curve ${curve.name}.`);
  }
  return curve.name === "nistp521" ? 521 : curve.coordinateBytes * 8;
}

/**
 * Parses one OpenSSH public key line (`ssh-ed25519 AAAA… comment`), as in `id_ed25519.pub` or a
 * line of authorized_keys without options. Throws PublicKeyError with the reason.
 */
export function parsePublicKey(text: string): PublicKey {
  const trimmed = text.trim();
  if (trimmed === "") throw new PublicKeyError("Paste a public key: the contents of a .pub file.");
  if (trimmed.startsWith("-----BEGIN")) {
    throw new PublicKeyError(
      trimmed.includes("PRIVATE KEY")
        ? "This is a private key: paste the public key (the .pub file) instead, and keep the private key secret."
        : "Paste an OpenSSH public key line (ssh-ed25519 AAAA…), not a PEM block.",
    );
  }
  if (/[\r\n]/.test(trimmed)) throw new PublicKeyError("Paste a single public key on one line.");
  const [algorithm = "", data = "", ...rest] = trimmed.split(/\s+/);
  if (!isAlgorithm(algorithm)) {
    const supported = "ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256/384/521";
    throw new PublicKeyError(
      algorithm.length > 40 || algorithm.includes("=")
        ? `This is not an OpenSSH public key line: it should start with ${supported}.`
        : `Key type "${algorithm}" is not supported; use ${supported}.`,
    );
  }
  if (data === "") throw new PublicKeyError("The key data (AAAA…) after the key type is missing.");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) throw new PublicKeyError("The key data is not valid base64.");
  const blob = Buffer.from(data, "base64");
  if (blob.toString("base64") !== data) throw new PublicKeyError("The key data is not valid base64.");
  const bits = checkBlob(algorithm, blob);
  const comment = rest.join(" ");
  return { algorithm, blob, comment, bits, line: comment ? `${algorithm} ${data} ${comment}` : `${algorithm} ${data}` };
}

/** The algorithm of a stored public key line (its first word). */
export function algorithmOf(line: string): string {
  return line.split(/\s+/, 1)[0] ?? "";
}

export interface GeneratedKeyPair {
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` … unencrypted, as `ssh-keygen -N ''` writes it. */
  privateKey: string;
  fingerprint: string;
}

/** Base64 in lines of 70 characters between the armour, as OpenSSH writes private keys. */
function armour(body: Buffer): string {
  const text = body.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 70) lines.push(text.slice(i, i + 70));
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** A new ed25519 key pair; `comment` ends the public line and is kept inside the private key. */
export function generateEd25519KeyPair(comment: string): GeneratedKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  if (!jwk.d || !jwk.x) throw new Error("ed25519 key export lacks its parts");
  const seed = Buffer.from(jwk.d, "base64url");
  const point = Buffer.from(jwk.x, "base64url");
  // Both views of the public key must agree: the JWK's x and the SPKI's last 32 bytes.
  const spki = publicKey.export({ format: "der", type: "spki" });
  if (!spki.subarray(spki.length - 32).equals(point) || seed.length !== 32) throw new Error("ed25519 key export is inconsistent");

  const blob = Buffer.concat([wireString("ssh-ed25519"), wireString(point)]);
  const check = randomBytes(4);
  const secrets = [check, check, wireString("ssh-ed25519"), wireString(point), wireString(Buffer.concat([seed, point])), wireString(comment)];
  let section = Buffer.concat(secrets);
  // Pad to the cipher block size ("none": 8) with 1, 2, 3, …
  const padding: number[] = [];
  for (let i = 1; (section.length + padding.length) % 8 !== 0; i++) padding.push(i);
  section = Buffer.concat([section, Buffer.from(padding)]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    wireString("none"), // cipher
    wireString("none"), // kdf
    wireString(""), // kdf options
    uint32(1), // one key
    wireString(blob),
    wireString(section),
  ]);
  const line = comment ? `ssh-ed25519 ${blob.toString("base64")} ${comment}` : `ssh-ed25519 ${blob.toString("base64")}`;
  return { publicKey: line, privateKey: armour(body), fingerprint: fingerprintOf(blob) };
}
