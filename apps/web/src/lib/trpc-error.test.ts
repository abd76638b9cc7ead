import { describe, expect, it } from "vitest";
import { isPlacedIn, type FormError } from "./trpc-error";

const refusal = (fieldErrors: Record<string, string[]>): FormError => ({
  message: "Refused.",
  fieldErrors,
  code: "BadRequest",
  httpStatus: 400,
  details: null,
});

describe("isPlacedIn", () => {
  it("places a refusal next to the fields when it names only the form's own fields", () => {
    expect(isPlacedIn(refusal({ name: ["Taken."] }), ["name", "description"])).toBe(true);
  });

  it("sends a refusal to the Alert when it names no field, or one the form does not show", () => {
    expect(isPlacedIn(refusal({}), ["name"])).toBe(false);
    expect(isPlacedIn(refusal({ name: ["Taken."], projectId: ["Gone."] }), ["name"])).toBe(false);
    expect(isPlacedIn(null, ["name"])).toBe(false);
  });
});
