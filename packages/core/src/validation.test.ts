import { describe, expect, it } from "vitest";
import { z } from "zod";
import { hostRegistrationSchema } from "./protocol/agent";
import { eachOnce, INT4_MAX, launchInstanceFields, text } from "./validation";

const id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

function messages(schema: z.ZodType, value: unknown): string[] {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
}

describe("text()", () => {
  const name = text("Name").trim().max(10);

  it("takes any Unicode text, astral characters (a surrogate pair) included", () => {
    expect(name.parse("  réseau 🚀 ")).toBe("réseau 🚀");
  });

  it("refuses a NUL anywhere, naming the field", () => {
    for (const value of ["\u0000", "a\u0000", "\u0000b", "a\u0000b"]) expect(messages(name, value)).toContain("Name cannot contain a NUL character.");
  });

  it("refuses a lone high or low surrogate, and one pair's halves in the wrong order", () => {
    for (const value of ["\uD800", "a\uD83D", "\uDE80b", "\uDE80\uD83D"]) {
      expect(messages(name, value)).toContain("Name must be valid Unicode text (it has half of a UTF-16 surrogate pair).");
    }
  });
});

describe("eachOnce()", () => {
  it("refuses a list that names an item twice", () => {
    const ids = z.array(z.uuid()).refine(eachOnce(), "Choose each once.");
    expect(ids.safeParse([id]).success).toBe(true);
    expect(messages(ids, [id, id])).toEqual(["Choose each once."]);
  });

  it("compares by the key given", () => {
    const volumes = launchInstanceFields.shape.volumes;
    expect(messages(volumes, [{ volumeId: id }, { volumeId: id, deleteOnTermination: true }])).toEqual(["Each volume can be attached once."]);
  });
});

describe("the agent's host registration", () => {
  const registration = {
    hypervisorType: "test",
    hypervisorUri: "test:///default",
    cpuModel: "x86_64",
    vcpus: 8,
    memoryMb: 8192,
    diskGb: 100,
    domains: [],
  };

  it("refuses amounts an int4 column cannot hold", () => {
    expect(hostRegistrationSchema.safeParse({ ...registration, vcpus: INT4_MAX }).success).toBe(true);
    for (const field of ["vcpus", "memoryMb", "diskGb"]) {
      const parsed = hostRegistrationSchema.safeParse({ ...registration, [field]: 2 ** 40 });
      expect(parsed.error?.issues.map((i) => i.path.join("."))).toEqual([field]);
    }
  });

  it("refuses NUL in the text it stores", () => {
    const parsed = hostRegistrationSchema.safeParse({ ...registration, cpuModel: "x86\u0000" });
    expect(parsed.error?.issues.map((i) => i.message)).toEqual(["cpuModel cannot contain a NUL character."]);
  });
});
