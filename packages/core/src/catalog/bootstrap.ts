import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { schema, type Database } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { hashPassword } from "../identity/password";
import { defaultAllocationPools } from "../network/ipam";
import { findImageByName, importImageFile } from "../images/import";

const run = promisify(execFile);

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
 * project, the m1.* flavors and a shared network with a subnet; then the images (seedImages).
 */
export async function bootstrap(
  db: Database,
  { adminName = "admin", adminPassword, images }: { adminName?: string; adminPassword?: string | undefined; images?: SeedImageOptions },
): Promise<BootstrapResult> {
  const result = await db.transaction(async (tx) => {
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
    // Seeded once, at the first start: a flavor an admin deleted stays deleted.
    if (!(await tx.query.flavors.findFirst({ columns: { id: true } }))) {
      await tx
        .insert(schema.flavors)
        .values(DEFAULT_FLAVORS.map((f) => ({ ...f })))
        .onConflictDoNothing();
    }
    if (!(await tx.query.networks.findFirst())) {
      const [network] = await tx.insert(schema.networks).values({ name: "shared-net", shared: true }).returning();
      await tx.insert(schema.subnets).values({
        networkId: network!.id,
        name: "shared-subnet",
        cidr: "10.0.0.0/24",
        gatewayIp: "10.0.0.1",
        allocationPools: defaultAllocationPools("10.0.0.0/24", "10.0.0.1"),
        dnsNameservers: [],
      });
    }
    return { adminName, generatedPassword };
  });
  if (images) await seedImages(db, images);
  return result;
}

export interface SeedImageOptions {
  storeDir: string;
  /** Output of scripts/test-image/build.sh (vmlinuz, initrd.img, disk.qcow2), if built. */
  testImageDir?: string | undefined;
}

export const TEST_GUEST_IMAGE = "nimbus-test-guest";
export const BLANK_IMAGE = "blank-1g";

/**
 * Seeds real images: the bootable test guest when scripts/test-image/build.sh has made it (a
 * Debian cloud kernel and a busybox initramfs booted directly, with a small qcow2 root disk),
 * and otherwise a blank 1 GiB qcow2 disk made by qemu-img, so a bare install can launch.
 */
export async function seedImages(db: Database, { storeDir, testImageDir }: SeedImageOptions): Promise<void> {
  const part = (name: string) => (testImageDir ? path.join(testImageDir, name) : "");
  if (testImageDir && existsSync(part("vmlinuz")) && existsSync(part("initrd.img")) && existsSync(part("disk.qcow2"))) {
    if (await findImageByName(db, TEST_GUEST_IMAGE)) return;
    const common = { visibility: "public" as const, properties: {} };
    const kernel = await importImageFile(db, {
      storeDir,
      sourcePath: part("vmlinuz"),
      part: "aki",
      image: { ...common, name: `${TEST_GUEST_IMAGE}-kernel` },
    });
    const ramdisk = await importImageFile(db, {
      storeDir,
      sourcePath: part("initrd.img"),
      part: "ari",
      image: { ...common, name: `${TEST_GUEST_IMAGE}-initrd` },
    });
    await importImageFile(db, {
      storeDir,
      sourcePath: part("disk.qcow2"),
      image: {
        name: TEST_GUEST_IMAGE,
        visibility: "public",
        minRamMb: 128,
        // No architecture or hypervisor_type: the image also launches on the simulated
        // hypervisor of a bare install (libvirt's test driver says i686); it boots for real on
        // a qemu host.
        properties: { kernel_id: kernel.id, ramdisk_id: ramdisk.id, os_command_line: "console=ttyS0", os_type: "linux" },
      },
    });
    return;
  }
  if (await db.query.images.findFirst()) return;
  const dir = await mkdtemp(path.join(tmpdir(), "nimbus-seed-"));
  try {
    const blank = path.join(dir, "blank.qcow2");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", blank, "1G"]);
    await importImageFile(db, { storeDir, sourcePath: blank, image: { name: BLANK_IMAGE, visibility: "public", properties: { os_type: "linux" } } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
