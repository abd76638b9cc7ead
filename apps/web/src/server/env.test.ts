import { describe, expect, it } from "vitest";
import { archiveOptions, loadEnv, repoRoot } from "./env";

describe("the web server's environment", () => {
  it("keeps its data in the repository's .data unless told otherwise", () => {
    expect(loadEnv({ NODE_ENV: "test" }).NIMBUS_DATA_DIR).toBe(`${repoRoot}/.data`);
  });

  it("resolves relative paths against the directory the user ran npm in (INIT_CWD), not apps/web", () => {
    const env = loadEnv({ NODE_ENV: "test", INIT_CWD: "/home/op/nimbus", NIMBUS_DATA_DIR: "scratch/cloud", NIMBUS_IMAGE_STORE: "/srv/images" });
    expect(env.NIMBUS_DATA_DIR).toBe("/home/op/nimbus/scratch/cloud");
    expect(env.NIMBUS_IMAGE_STORE).toBe("/srv/images");
    expect(env.NIMBUS_SEED_IMAGE_DIR).toBeUndefined();
  });

  it("takes a public URL for the OpenStack catalog without its trailing slash, and refuses one that is not a URL", () => {
    expect(loadEnv({ NODE_ENV: "test", NIMBUS_PUBLIC_URL: "https://cloud.example.com/" }).NIMBUS_PUBLIC_URL).toBe("https://cloud.example.com");
    expect(() => loadEnv({ NODE_ENV: "test", NIMBUS_PUBLIC_URL: "cloud" })).toThrow(/NIMBUS_PUBLIC_URL/);
  });

  it("archives instances deleted over 30 days ago, 1,000 a transaction, unless told otherwise; refuses a batch of none", () => {
    expect(archiveOptions(loadEnv({ NODE_ENV: "test" }))).toEqual({ olderThanSeconds: 30 * 86_400, batchSize: 1000, maxBatches: 100 });
    expect(archiveOptions(loadEnv({ NODE_ENV: "test", NIMBUS_ARCHIVE_AFTER_DAYS: "7", NIMBUS_ARCHIVE_BATCH_SIZE: "50" }))).toMatchObject({
      olderThanSeconds: 7 * 86_400,
      batchSize: 50,
    });
    expect(() => loadEnv({ NODE_ENV: "test", NIMBUS_ARCHIVE_BATCH_SIZE: "0" })).toThrow(/NIMBUS_ARCHIVE_BATCH_SIZE/);
  });
});
