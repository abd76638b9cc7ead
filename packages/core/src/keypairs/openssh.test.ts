import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fingerprintOf, generateEd25519KeyPair, parsePublicKey, PublicKeyError } from "./openssh";

// Written by `ssh-keygen -t … -C …`; fingerprints from `ssh-keygen -lf`.
const ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBO6GN884i99HB356wzlYMIvJjQu7pvmWo/d0cFV70oa alice@example";
const ED25519_FINGERPRINT = "SHA256:VmoIxYjVgJHHbXKQQP0kRhOb3FSF9fV/VrZlO0sdEwI";
const ECDSA_256 =
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCDobCEsC4GkltSWH0RYP4VxlQJ5c36LQDLPI+2BRr0/GINNNMutpCtD42HC0XdK9huLPO6wLZXQgqnn8JIB5AQ= e";
const ECDSA_256_FINGERPRINT = "SHA256:oAiZPeekVh7qwONIdEQXMT8UhO9jrOF+7WvhBZnLffk";
const RSA_1024 =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDIT+TqRQ+ispumLpCxXVMCCcPVCLQuQCCIdidOQwicKbUKEFf2gAfLwAaKnwEhFUNwA3W+kQ+nnXxmdmSSrBnNA8Wt7LyjEf/0NPYr5M7TB41s0UUGM4+0m8U2dtyRlpoClQVc/H9+7aYCC4G9SldGYP+37Ag6Cfq7itzRc6HmiQ== small";

const wire = (...parts: (string | Buffer)[]) =>
  Buffer.concat(
    parts.map((p) => {
      const bytes = typeof p === "string" ? Buffer.from(p) : p;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    }),
  );
const reason = (line: string) => {
  try {
    parsePublicKey(line);
  } catch (error) {
    if (error instanceof PublicKeyError) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${line}`);
};

describe("OpenSSH public keys", () => {
  it("parses ed25519 and ECDSA lines with OpenSSH's fingerprint", () => {
    const ed = parsePublicKey(`  ${ED25519}\n`);
    expect(ed).toMatchObject({ algorithm: "ssh-ed25519", comment: "alice@example", bits: 256, line: ED25519 });
    expect(fingerprintOf(ed.blob)).toBe(ED25519_FINGERPRINT);
    const ec = parsePublicKey(ECDSA_256);
    expect(ec).toMatchObject({ algorithm: "ecdsa-sha2-nistp256", bits: 256 });
    expect(fingerprintOf(ec.blob)).toBe(ECDSA_256_FINGERPRINT);
  });

  it("refuses RSA keys under 2048 bits", () => {
    expect(reason(RSA_1024)).toMatch(/1024 bits; use at least 2048/);
  });

  it("refuses a line whose key data is of another type than it says", () => {
    const data = ED25519.split(" ")[1]!;
    expect(reason(`ssh-rsa ${data}`)).toMatch(/says ssh-rsa but the key data inside is "ssh-ed25519"/);
    const ecData = ECDSA_256.split(" ")[1]!;
    expect(reason(`ecdsa-sha2-nistp384 ${ecData}`)).toMatch(/says ecdsa-sha2-nistp384/);
  });

  it("refuses garbage, truncated data, extra bytes, points off the curve and private keys", () => {
    expect(reason("hello world")).toMatch(/Key type "hello" is not supported/);
    expect(reason("ssh-ed25519")).toMatch(/key data .* is missing/);
    expect(reason("ssh-ed25519 not*base64")).toMatch(/not valid base64/);
    const blob = Buffer.from(ED25519.split(" ")[1]!, "base64");
    expect(reason(`ssh-ed25519 ${blob.subarray(0, blob.length - 5).toString("base64")}`)).toMatch(/ends inside/);
    expect(reason(`ssh-ed25519 ${Buffer.concat([blob, Buffer.from([0])]).toString("base64")}`)).toMatch(/extra bytes/);
    expect(reason(`ssh-ed25519 ${wire("ssh-ed25519", Buffer.alloc(31, 1)).toString("base64")}`)).toMatch(/32 bytes, this one is 31/);
    const ec = Buffer.from(ECDSA_256.split(" ")[1]!, "base64");
    ec[ec.length - 1] = ec[ec.length - 1]! ^ 1;
    expect(reason(`ecdsa-sha2-nistp256 ${ec.toString("base64")}`)).toMatch(/not on curve nistp256/);
    expect(reason("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----")).toMatch(/private key/);
    expect(reason(`${ED25519}\n${ED25519}`)).toMatch(/one line/);
  });
});

describe("generated ed25519 key pairs", () => {
  it("write an unencrypted openssh-key-v1 private key whose public half is the public line", () => {
    const pair = generateEd25519KeyPair("deploy key");
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} deploy key$/);
    expect(pair.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,70}\n)+-----END OPENSSH PRIVATE KEY-----\n$/);
    const parsed = parsePublicKey(pair.publicKey);
    expect(pair.fingerprint).toBe(fingerprintOf(parsed.blob));

    const body = Buffer.from(pair.privateKey.split("\n").slice(1, -2).join(""), "base64");
    expect(body.subarray(0, 15).toString("latin1")).toBe("openssh-key-v1\0");
    // The public blob inside the container is the public line's blob.
    expect(body.includes(parsed.blob)).toBe(true);
    // The seed inside derives the same public key (node reads a raw ed25519 seed through PKCS#8).
    const secretAt = body.indexOf(Buffer.concat([Buffer.from([0, 0, 0, 64])]), body.indexOf(parsed.blob) + parsed.blob.length);
    const seed = body.subarray(secretAt + 4, secretAt + 36);
    const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
    const derived = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({ format: "jwk" });
    expect(Buffer.from(derived.x!, "base64url").equals(parsed.blob.subarray(parsed.blob.length - 32))).toBe(true);
  });

  it("is different every time", () => {
    expect(generateEd25519KeyPair("a").publicKey).not.toBe(generateEd25519KeyPair("a").publicKey);
  });
});
