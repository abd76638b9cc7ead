import type { IncomingMessage } from "node:http";

/** Names and attributes of the session cookie: `__Host-` prefixed and Secure over HTTPS. */
export function sessionCookies(secure: boolean) {
  const name = secure ? "__Host-nimbus_session" : "nimbus_session";
  return {
    name,
    read(req: IncomingMessage): string | null {
      const header = req.headers.cookie;
      if (!header) return null;
      for (const part of header.split(";")) {
        const [key, ...rest] = part.trim().split("=");
        if (key !== name) continue;
        // A value that does not decode was never set by this server: no session.
        try {
          return decodeURIComponent(rest.join("="));
        } catch {
          return null;
        }
      }
      return null;
    },
    serialize(token: string | null, expiresAt?: Date): string {
      const attributes = ["Path=/", "HttpOnly", "SameSite=Lax", ...(secure ? ["Secure"] : [])];
      if (token === null) return [`${name}=`, ...attributes, "Max-Age=0"].join("; ");
      return [`${name}=${encodeURIComponent(token)}`, ...attributes, ...(expiresAt ? [`Expires=${expiresAt.toUTCString()}`] : [])].join("; ");
    },
  };
}
