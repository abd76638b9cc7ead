"use client";

import { useState } from "react";
import type { DataTablePagination, DataTableSort } from "@/components/common/data-table/data-table";

/** A page as core's keyset lists return it. */
export interface KeysetPage<Row> {
  items: Row[];
  next: string | null;
  prev: string | null;
}

/**
 * Where a server-paged table is: its sort (null: the list's own order), its filters and the
 * cursor of the page shown. Changing the sort or a filter goes back to the first page, as the
 * cursors belong to one order; Next and Previous follow the page's own cursors.
 */
export function useKeysetPages<Filters>(initialFilters: Filters) {
  const [sort, setSortState] = useState<DataTableSort>(null);
  const [filters, setFiltersState] = useState<Filters>(initialFilters);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [pageNumber, setPageNumber] = useState(1);

  function restart() {
    setCursor(undefined);
    setPageNumber(1);
  }
  return {
    sort,
    filters,
    cursor,
    pageNumber,
    setSort(next: DataTableSort) {
      setSortState(next);
      restart();
    },
    setFilters(next: Filters) {
      setFiltersState(next);
      restart();
    },
    /** The sort as a list input's key and direction, when the table sorts by one of `keys` (else the list's own order). */
    sortInput<Key extends string>(keys: readonly Key[]): { key: Key; direction: "asc" | "desc" } | undefined {
      return sort && (keys as readonly string[]).includes(sort.key) ? { key: sort.key as Key, direction: sort.direction } : undefined;
    },
    /** The pager under the table for the page shown (`pageSize` rows a page, `noun` e.g. "Instances"). */
    pagination<Row>(page: KeysetPage<Row> | undefined, pageSize: number, noun: string): DataTablePagination {
      const first = (pageNumber - 1) * pageSize + 1;
      const count = page?.items.length ?? 0;
      return {
        hasPrev: Boolean(page?.prev),
        hasNext: Boolean(page?.next),
        onPrev() {
          if (!page?.prev) return;
          setCursor(page.prev);
          setPageNumber((n) => Math.max(1, n - 1));
        },
        onNext() {
          if (!page?.next) return;
          setCursor(page.next);
          setPageNumber((n) => n + 1);
        },
        label: count > 0 ? `${noun} ${first}–${first + count - 1}, page ${pageNumber}` : undefined,
      };
    },
  };
}
