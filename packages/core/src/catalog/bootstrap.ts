import { randomBytes } from "node:crypto";
import { schema, type Database } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { hashPassword } from "../identity/password";

/** Nova's classic flavors. */
export const DEFAULT_FLAVORS = [
  { name: "m1.tiny", vcpus: 1, memoryMb: 512, rootGb: 1 },
  { name: "m1.small", vcpus: 1, memoryMb: 2048, rootGb: 20 },
  { name: "m1.medium", vcpus: 2, memoryMb: 4096, rootGb: 40 },
  { name: "m1.large", vcpus: 4, memoryMb: 8192, rootGb: 80 },
  { name: "m1.xlarge", vcpus: 8, memoryMb: 16384, rootGb: 160 },
] as const;

export interface BootstrapResult {
  adminName: string;
  /** Set only when this call created the admin with a generated password (print it once). */
  generatedPassword: string | null;
}

/**
 * First-start seed, idempotent: admin user with the admin role in the `admin` project, a `demo`
 * project, the m1.* flavors, an image record and a shared network.
 */
export async function bootstrap(db: Database, { adminName = "admin", adminPassword }: { adminName?: string; adminPassword?: string | undefined }): Promise<BootstrapResult> {
  return db.transaction(async (tx) => {
    const existing = await tx.query.users.findFirst({ where: eq(schema.users.name, adminName) });
    let generatedPassword: string | null = null;
    if (!existing) {
      const password = adminPassword ?? (generatedPassword = randomBytes(12).toString("base64url"));
      const project = async (name: string, description: string) => {
        await tx.insert(schema.projects).values({ name, description }).onConflictDoNothing();
        return (await tx.query.projects.findFirst({ where: eq(schema.projects.name, name) }))!;
      };
      const admin = await project("admin", "Cloud administration");
      const demo = await project("demo", "Demo project");
      const [user] = await tx
        .insert(schema.users)
        .values({ name: adminName, passwordHash: await hashPassword(password), defaultProjectId: demo.id })
        .returning();
      await tx.insert(schema.roleAssignments).values([
        { userId: user!.id, projectId: admin.id, role: "admin" },
        { userId: user!.id, projectId: demo.id, role: "admin" },
      ]);
    }
    await tx
      .insert(schema.flavors)
      .values(DEFAULT_FLAVORS.map((f) => ({ ...f })))
      .onConflictDoNothing();
    if (!(await tx.query.images.findFirst())) {
      await tx.insert(schema.images).values({
        name: "cirros-0.6.2-x86_64",
        status: "active",
        visibility: "public",
        diskFormat: "qcow2",
        sizeBytes: 21_430_272,
        properties: { os_type: "linux" },
      });
    }
    if (!(await tx.query.networks.findFirst())) {
      await tx.insert(schema.networks).values({ name: "shared-net", shared: true, cidr: "10.0.0.0/24", gatewayIp: "10.0.0.1" });
    }
    return { adminName, generatedPassword };
  });
}
