import { z } from "zod";
import { createKeyPair, deleteKeyPair, getKeyPair, importKeyPair, listKeyPairPage, listKeyPairs, type KeyPairView } from "@nimbus/core/keypairs";
import { isNimbusError } from "@nimbus/core/errors";
import { atLeast, badRequest, notFound, OsRefusal, principalOf, type OsCall, type OsRoute } from "../service";
import { parseWire } from "../wire";
import { checkQuery, limitAndMarker, nextLinks } from "./common";

/**
 * Nova's os-keypairs on the key pair verbs: a user's own key pairs, generated (the private key
 * is in the create answer only, as Nova's until 2.92) or imported. Nimbus keeps SSH key pairs
 * (no x509) and fingerprints them as OpenSSH does (SHA256:…), and lists only the caller's own.
 */

/** Nova's `user_id` (2.10): only the caller's own key pairs here; another user's is a cloud admin's question Nimbus does not answer. */
function checkUser(call: OsCall, userId: string | null | undefined): void {
  if (!userId || !atLeast(call, "2.10")) return;
  const principal = principalOf(call);
  if (userId === principal.userId) return;
  if (!principal.isAdmin)
    throw new OsRefusal(403, "Forbidden", `Policy doesn't allow os_compute_api:os-keypairs to be performed for user ${userId.slice(0, 64)}.`);
  throw badRequest("Nimbus lists and manages the caller's own key pairs only: sign in as that user.");
}

const listView = (call: OsCall, k: KeyPairView) => ({
  keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, ...(atLeast(call, "2.2") ? { type: k.type } : {}) },
});

function showView(call: OsCall, k: KeyPairView, userId: string) {
  return {
    name: k.name,
    public_key: k.publicKey,
    fingerprint: k.fingerprint,
    user_id: userId,
    created_at: `${k.createdAt.toISOString().slice(0, 23)}000`,
    deleted: false,
    deleted_at: null,
    id: k.id,
    updated_at: null,
    ...(atLeast(call, "2.2") ? { type: k.type } : {}),
  };
}

const nameBefore292 = /^[_\- a-zA-Z0-9]+$/;
const nameFrom292 = /^[_\-@. a-zA-Z0-9]+$/;

const createBody = z.object({
  keypair: z
    .object({
      name: z.string().min(1).max(255),
      public_key: z.string().optional(),
      type: z.enum(["ssh", "x509"]).optional(),
      user_id: z.string().optional(),
    })
    .strict(),
});

async function findKeyPair(call: OsCall): Promise<KeyPairView> {
  const name = call.params.name!;
  try {
    return await getKeyPair({ ctx: call.ctx, input: { name } });
  } catch (error) {
    if (isNimbusError(error) && (error.code === "NotFound" || error.code === "BadRequest")) {
      throw notFound(`Keypair ${name.slice(0, 255)} not found for user ${principalOf(call).userId}`);
    }
    throw error;
  }
}

export const keyPairRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/os-keypairs",
    async handle(call) {
      checkQuery(call, ["user_id", "limit", "marker"]);
      checkUser(call, call.query.get("user_id"));
      if (!atLeast(call, "2.35")) {
        const keyPairs = await listKeyPairs({ ctx: call.ctx });
        return { status: 200, body: { keypairs: keyPairs.map((k) => listView(call, k)) } };
      }
      // 2.35: one page in SQL by name after the marker (a key pair name; an unknown one is a 400).
      const paging = limitAndMarker(call);
      const page =
        paging.limit === 0
          ? []
          : (await listKeyPairPage({ ctx: call.ctx, input: { limit: paging.limit, ...(paging.marker !== null && { marker: paging.marker }) } }))
              .items;
      const links = nextLinks(call, "os-keypairs", page, (k) => k.name, paging.limit);
      return { status: 200, body: { keypairs: page.map((k) => listView(call, k)), ...(links ? { keypairs_links: links } : {}) } };
    },
  },
  {
    method: "POST",
    path: "/v2.1/os-keypairs",
    async handle(call) {
      const { keypair: body } = parseWire(createBody, call.body, "keypair");
      const unexpected = [
        ...(body.type !== undefined && !atLeast(call, "2.2") ? ["type"] : []),
        ...(body.user_id !== undefined && !atLeast(call, "2.10") ? ["user_id"] : []),
      ];
      if (unexpected.length > 0) {
        throw badRequest(
          `Invalid input for field/attribute keypair. Value: Additional properties are not allowed (${unexpected.map((k) => `'${k}'`).join(", ")} unexpected).`,
        );
      }
      const name = body.name;
      const pattern = atLeast(call, "2.92") ? nameFrom292 : nameBefore292;
      if (!pattern.test(name) || name.trim() !== name) {
        throw badRequest(`Invalid input for field/attribute name. Value: ${JSON.stringify(name.slice(0, 64))} does not match '${pattern.source}'.`);
      }
      if (body.public_key === undefined && atLeast(call, "2.92"))
        throw badRequest("Invalid input for field/attribute keypair. Value: 'public_key' is a required property.");
      if (body.type === "x509") throw badRequest("Nimbus keeps SSH key pairs only: x509 certificates are not supported.");
      checkUser(call, body.user_id);
      const principal = principalOf(call);
      const status = atLeast(call, "2.2") ? 201 : 200;
      const type = atLeast(call, "2.2") ? { type: "ssh" } : {};
      if (body.public_key !== undefined) {
        const imported = await importKeyPair({ ctx: call.ctx, input: { name, publicKey: body.public_key } });
        return {
          status,
          body: {
            keypair: { ...type, name: imported.name, public_key: imported.publicKey, fingerprint: imported.fingerprint, user_id: principal.userId },
          },
        };
      }
      const created = await createKeyPair({ ctx: call.ctx, input: { name } });
      return {
        status,
        body: {
          keypair: {
            private_key: created.privateKey,
            ...type,
            name: created.name,
            public_key: created.publicKey,
            fingerprint: created.fingerprint,
            user_id: principal.userId,
          },
        },
      };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-keypairs/:name",
    async handle(call) {
      checkQuery(call, ["user_id"]);
      checkUser(call, call.query.get("user_id"));
      const keyPair = await findKeyPair(call);
      return { status: 200, body: { keypair: showView(call, keyPair, principalOf(call).userId) } };
    },
  },
  {
    method: "DELETE",
    path: "/v2.1/os-keypairs/:name",
    async handle(call) {
      checkQuery(call, ["user_id"]);
      checkUser(call, call.query.get("user_id"));
      await deleteKeyPair({ ctx: call.ctx, input: { name: call.params.name! } });
      return { status: atLeast(call, "2.2") ? 204 : 202 };
    },
  },
];
