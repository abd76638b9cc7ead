import { describe, expect, it } from "vitest";
import { createFlavorInput, setFlavorPropertiesInput } from "./flavor-validation";

const fieldsOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);

describe("flavor input", () => {
  const base = { name: "m2.small", vcpus: 1, memoryMb: 2048, rootGb: 20 };

  it("takes Nova's sizes, makes the id when none is given, and defaults to public with no properties", () => {
    expect(createFlavorInput.parse(base)).toEqual({
      ...base,
      id: null,
      description: null,
      ephemeralGb: 0,
      swapMb: 0,
      isPublic: true,
      extraSpecs: {},
    });
  });

  it("refuses what Nimbus would not build: ephemeral and swap disks, no vCPU or RAM, a name with outer spaces", () => {
    expect(fieldsOf(createFlavorInput.safeParse({ ...base, ephemeralGb: 10, swapMb: 512 }))).toEqual([
      "ephemeralGb: Nimbus builds no ephemeral disk: use 0.",
      "swapMb: Nimbus builds no swap disk: use 0.",
    ]);
    expect(fieldsOf(createFlavorInput.safeParse({ ...base, vcpus: 0, memoryMb: 0 }))).toEqual([
      "vcpus: vCPUs must be at least 1.",
      "memoryMb: RAM (MB) must be at least 1.",
    ]);
    expect(fieldsOf(createFlavorInput.safeParse({ ...base, name: " padded" }))).toEqual(["name: A flavor name cannot start or end with a space."]);
    expect(fieldsOf(createFlavorInput.safeParse({ ...base, id: "42" }))).toEqual(["id: A flavor id is a UUID; leave it out to have one made."]);
  });

  it("takes property names as Nova's extra specs do, and refuses setting and removing one at once", () => {
    const id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    expect(setFlavorPropertiesInput.parse({ id, set: { "hw:cpu_policy": "dedicated" }, unset: ["quota:cpu_shares"] })).toEqual({
      id,
      set: { "hw:cpu_policy": "dedicated" },
      unset: ["quota:cpu_shares"],
    });
    expect(fieldsOf(setFlavorPropertiesInput.safeParse({ id, set: { "bad/key": "x" } }))[0]).toMatch(/^set/);
    expect(fieldsOf(setFlavorPropertiesInput.safeParse({ id, set: { a: "1" }, unset: ["a"] }))).toEqual([
      "unset: A property cannot be set and removed at once.",
    ]);
  });
});
