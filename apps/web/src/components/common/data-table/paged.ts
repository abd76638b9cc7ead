import type { DataTablePagination, DataTableSort } from "./data-table";

/** What a table whose rows the server pages and sorts is given beside its rows. */
export interface ServerPaging {
  sort: DataTableSort;
  onSortChange(sort: DataTableSort): void;
  pagination: DataTablePagination;
  /** Shown in place of the rows when the page is empty (filters that match nothing, or no rows yet). */
  emptyMessage: string;
}
