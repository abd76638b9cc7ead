import { describe, expect, it } from "vitest";
import { nextSort, sortRows } from "./sort";

describe("nextSort", () => {
  it("sorts a column ascending, then descending, then goes back to the order the rows came in", () => {
    const asc = nextSort(null, "name");
    expect(asc).toEqual({ key: "name", direction: "asc" });
    const desc = nextSort(asc, "name");
    expect(desc).toEqual({ key: "name", direction: "desc" });
    expect(nextSort(desc, "name")).toBeNull();
  });

  it("starts ascending on another column whatever the current one's direction", () => {
    expect(nextSort({ key: "name", direction: "desc" }, "size")).toEqual({ key: "size", direction: "asc" });
  });
});

describe("sortRows", () => {
  const hosts = [
    { name: "node-10", ram: 2048, seen: new Date("2026-01-03") },
    { name: "Node-9", ram: null, seen: new Date("2026-01-01") },
    { name: "node-2", ram: 512, seen: new Date("2026-01-02") },
  ];
  const names = (rows: typeof hosts) => rows.map((h) => h.name);

  it("compares text as people read it: numbers inside by value, case aside", () => {
    expect(names(sortRows(hosts, (h) => h.name, "asc"))).toEqual(["node-2", "Node-9", "node-10"]);
    expect(names(sortRows(hosts, (h) => h.name, "desc"))).toEqual(["node-10", "Node-9", "node-2"]);
  });

  it("compares dates by time", () => {
    expect(names(sortRows(hosts, (h) => h.seen, "asc"))).toEqual(["Node-9", "node-2", "node-10"]);
  });

  it("keeps rows without a value last in both directions", () => {
    expect(names(sortRows(hosts, (h) => h.ram, "asc"))).toEqual(["node-2", "node-10", "Node-9"]);
    expect(names(sortRows(hosts, (h) => h.ram, "desc"))).toEqual(["node-10", "node-2", "Node-9"]);
  });

  it("keeps equal rows in the order they came in, and leaves the given array alone", () => {
    const rows = [
      { id: 1, zone: "b" },
      { id: 2, zone: "a" },
      { id: 3, zone: "b" },
      { id: 4, zone: "a" },
    ];
    expect(sortRows(rows, (r) => r.zone, "desc").map((r) => r.id)).toEqual([1, 3, 2, 4]);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });
});
