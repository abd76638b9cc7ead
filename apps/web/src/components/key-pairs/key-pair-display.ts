/** How key pairs are named in the console (pure: shared by the key-pair pages and the launch wizard). */

/** "ssh-ed25519" → "ED25519", "ecdsa-sha2-nistp256" → "ECDSA P-256", as ssh-keygen names them. */
export function algorithmLabel(algorithm: string): string {
  if (algorithm === "ssh-ed25519") return "ED25519";
  if (algorithm === "ssh-rsa") return "RSA";
  const curve = /^ecdsa-sha2-nistp(\d+)$/.exec(algorithm);
  return curve ? `ECDSA P-${curve[1]}` : algorithm;
}
