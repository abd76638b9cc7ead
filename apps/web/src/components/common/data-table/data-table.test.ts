import { MantineProvider } from "@mantine/core";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DataTable, type DataTableColumn, type DataTableProps } from "./data-table";

interface Flavor {
  id: string;
  name: string;
  vcpus: number;
}

const FLAVORS: Flavor[] = [
  { id: "1", name: "m1.small", vcpus: 1 },
  { id: "2", name: "m1.large", vcpus: 4 },
  { id: "3", name: "m1.medium", vcpus: 2 },
];

const COLUMNS: DataTableColumn<Flavor>[] = [
  { key: "name", header: "Name", cell: (f) => f.name, sortValue: (f) => f.name },
  { key: "vcpus", header: "vCPUs", cell: (f) => `${f.vcpus} vCPUs`, sortValue: (f) => f.vcpus, align: "right" },
  { key: "id", header: "ID", cell: (f) => `id-${f.id}` },
];

/** The table as the server renders it, before any click. */
function render(props: Partial<DataTableProps<Flavor>> = {}): string {
  return renderToStaticMarkup(
    createElement(MantineProvider, null, createElement(DataTable<Flavor>, { columns: COLUMNS, rows: FLAVORS, rowKey: (f) => f.id, ...props })),
  );
}

/** The text of each body row's first cell, in order. */
function firstCells(html: string): string[] {
  const body = html.slice(html.indexOf("<tbody"));
  return [...body.matchAll(/<tr[^>]*><td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1] ?? "");
}

/** The header cells, each as its opening tag and its text. */
function headers(html: string): { tag: string; text: string }[] {
  return [...html.matchAll(/(<th[^>]*>)(.*?)<\/th>/g)].map((m) => ({ tag: m[1] ?? "", text: (m[2] ?? "").replace(/<[^>]+>/g, "") }));
}

describe("DataTable", () => {
  it("makes a sortable column's header a button and leaves the others plain text", () => {
    const html = render();
    const [name, vcpus, id] = headers(html);
    expect(name?.text).toBe("Name");
    expect(vcpus?.text).toBe("vCPUs");
    expect(id?.text).toBe("ID");
    expect(html.match(/<th[^>]*>\s*<button/g)).toHaveLength(2);
    expect(html).not.toContain("aria-sort");
    expect(html).not.toMatch(/<table[^>]*columns=/);
  });

  it("sorts the rows itself from its default sort and says so with aria-sort on that header only", () => {
    const html = render({ defaultSort: { key: "vcpus", direction: "desc" } });
    expect(firstCells(html)).toEqual(["m1.large", "m1.medium", "m1.small"]);
    const sorted = headers(html).filter((h) => h.tag.includes("aria-sort"));
    expect(sorted).toHaveLength(1);
    expect(sorted[0]?.text).toBe("vCPUs");
    expect(sorted[0]?.tag).toContain('aria-sort="descending"');
  });

  it("leaves the rows in the order given when the sort is controlled (the server sorts them)", () => {
    const html = render({ sort: { key: "name", direction: "asc" }, onSortChange: () => {} });
    expect(firstCells(html)).toEqual(["m1.small", "m1.large", "m1.medium"]);
    expect(html).toContain('aria-sort="ascending"');
  });

  it("adds an Actions column only when the rows have actions", () => {
    expect(headers(render()).map((h) => h.text)).not.toContain("Actions");
    const html = render({ rowActions: (f) => createElement("button", { type: "button", "aria-label": `Delete flavor ${f.name}` }) });
    expect(headers(html).map((h) => h.text)).toEqual(["Name", "vCPUs", "ID", "Actions"]);
    expect(html).toContain('aria-label="Delete flavor m1.medium"');
  });

  it("leaves out hidden columns", () => {
    const html = render({ columns: COLUMNS.map((c) => (c.key === "id" ? { ...c, hidden: true } : c)) });
    expect(headers(html).map((h) => h.text)).toEqual(["Name", "vCPUs"]);
    expect(html).not.toContain("id-1");
  });

  it("shows the empty-state message and its action instead of a table when there are no rows", () => {
    const html = render({
      rows: [],
      empty: { message: "No flavors yet.", action: createElement("a", { href: "/admin/flavors" }, "Create a flavor") },
    });
    expect(html).not.toContain("<table");
    expect(html).toContain("No flavors yet.");
    expect(html).toContain("Create a flavor");
  });

  it("shows a loader with its accessible name instead of the rows while loading", () => {
    const html = render({ loading: true, loadingLabel: "Loading flavors" });
    expect(html).not.toContain("<table");
    expect(html).toContain('aria-label="Loading flavors"');
  });

  it("offers Previous and Next pages, each disabled where there is no such page", () => {
    const html = render({ pagination: { hasPrev: false, hasNext: true, onPrev: () => {}, onNext: () => {} } });
    expect(html).toMatch(/<button[^>]*disabled=""[^>]*aria-label="Previous page"|<button[^>]*aria-label="Previous page"[^>]*disabled=""/);
    const next = html.match(/<button[^>]*aria-label="Next page"[^>]*>/)?.[0] ?? "";
    expect(next).not.toBe("");
    expect(next).not.toContain("disabled");
  });

  it("puts a row's detail in a full-width row under it and marks selected rows", () => {
    const html = render({ rowDetail: (f) => (f.id === "2" ? `detail of ${f.name}` : null), isRowSelected: (f) => f.id === "3" });
    // The detail spans every column (React writes the attribute as colSpan on the server).
    expect(html).toMatch(/<td[^>]*colspan="3"[^>]*>detail of m1\.large<\/td>/i);
    expect(html.match(/<tr[^>]*data-selected="true"[^>]*>(.*?)<\/tr>/)?.[1]).toContain("m1.medium");
  });
});
