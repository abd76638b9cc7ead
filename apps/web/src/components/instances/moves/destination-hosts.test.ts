import { describe, expect, it } from "vitest";
import { destinationHostOptions } from "./destination-hosts";

describe("a move's destination choices", () => {
  it("put the scheduler's pick first and show the own, down and disabled hosts with why; only the own and down ones cannot be chosen", () => {
    const options = destinationHostOptions(
      [
        { hostname: "a", state: "up", enabled: true },
        { hostname: "b", state: "down", enabled: true },
        { hostname: "c", state: "up", enabled: false },
        { hostname: "d", state: "up", enabled: true },
      ],
      "a",
      { value: "", label: "Automatic" },
    );
    expect(options).toEqual([
      { value: "", label: "Automatic" },
      { value: "a", label: "a (its own host)", disabled: true },
      { value: "b", label: "b (down)", disabled: true },
      { value: "c", label: "c (disabled)", disabled: false },
      { value: "d", label: "d", disabled: false },
    ]);
  });
});
