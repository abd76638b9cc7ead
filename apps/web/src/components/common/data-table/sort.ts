/** Sorting of a data table's rows: the state a sortable header cycles through, and the client-side comparison. */

export type SortDirection = "asc" | "desc";

/** Which column the rows are sorted by, and which way; null while they keep the order they came in. */
export type DataTableSort = { key: string; direction: SortDirection } | null;

/** What a column compares when it sorts: text (numbers inside compare as numbers), a number or a date; empty values go last. */
export type SortValue = string | number | Date | null | undefined;

/** A click on a column's header: ascending first, then descending, then back to the order the rows came in. */
export function nextSort(current: DataTableSort, key: string): DataTableSort {
  if (current?.key !== key) return { key, direction: "asc" };
  return current.direction === "asc" ? { key, direction: "desc" } : null;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function compareValues(a: string | number | Date, b: string | number | Date): number {
  if (typeof a === "string" && typeof b === "string") return collator.compare(a, b);
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (typeof x === "number" && typeof y === "number") return x - y;
  return collator.compare(String(x), String(y));
}

const isEmpty = (value: SortValue): value is null | undefined | "" => value === null || value === undefined || value === "";

/** The rows in a new array, ordered by `valueFor`; rows without a value stay last either way, equal rows keep their order. */
export function sortRows<Row>(rows: readonly Row[], valueFor: (row: Row) => SortValue, direction: SortDirection): Row[] {
  const sign = direction === "asc" ? 1 : -1;
  return rows
    .map((row) => ({ row, value: valueFor(row) }))
    .sort((a, b) => {
      if (isEmpty(a.value) || isEmpty(b.value)) return Number(isEmpty(a.value)) - Number(isEmpty(b.value));
      return sign * compareValues(a.value, b.value);
    })
    .map(({ row }) => row);
}
