/**
 * The error log never prints a failed query's parameters or the user content in them: a launch
 * whose insert PostgreSQL refuses is logged by the query's first words and its SQLSTATE, while
 * the caller sees only "Internal error.". Real PostgreSQL, the web process's own logger.
 */
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/server/logger";
import { signedInClient, startStack, TRPCClientError, type Stack } from "./harness";

const USER_DATA = "#cloud-config\npassword: user-data-nobody-else-may-read";
const METADATA_VALUE = "metadata-nobody-else-may-read";

describe("the error log", () => {
  let stack: Stack;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    stack = await startStack("postgres", {}, createLogger("info", sink));
    // A fault the API cannot prevent: PostgreSQL refuses every new instance row.
    await stack.server.database.db.execute(
      sql.raw(`create function nimbus_test_refuse() returns trigger language plpgsql as $$
        begin raise exception 'the test refuses this row' using errcode = 'P0001'; end $$;
        create trigger nimbus_test_refuse before insert on instances for each row execute function nimbus_test_refuse();`),
    );
  });
  afterAll(async () => stack?.stop());

  it("logs a failed launch by its query's first words and SQLSTATE, never its user data or metadata", async () => {
    const api = await signedInClient(stack.server.url);
    const [flavors, images, networks] = await Promise.all([
      api.client.catalog.flavors.query(),
      api.client.catalog.images.query(),
      api.client.catalog.networks.query(),
    ]);
    const launch = api.client.instances.launch.mutate({
      name: "logged",
      count: 1,
      flavorId: flavors[0]!.id,
      imageId: images[0]!.id,
      networkId: networks[0]!.id,
      userData: USER_DATA,
      metadata: { role: METADATA_VALUE },
    });
    const error = await launch.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).message).toBe("Internal error.");

    const everything = lines.join("");
    expect(everything).not.toContain("nobody-else-may-read");
    expect(everything).not.toContain("the test refuses this row");
    const failed = lines
      .map((line) => JSON.parse(line) as { msg: string; err?: Record<string, unknown> })
      .filter((l) => l.msg === "procedure failed");
    expect(failed).toHaveLength(1);
    const logged = JSON.stringify(failed[0]);
    expect(logged).toContain('Failed query: insert into \\"instances\\"');
    expect(logged).toContain('"code":"P0001"');
  });
});
