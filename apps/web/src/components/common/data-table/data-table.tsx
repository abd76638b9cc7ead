"use client";

import { Center, Loader, Stack, Table, Text, UnstyledButton, type TableProps, type TableTdProps, type TableTrProps } from "@mantine/core";
import { Fragment, useState, type Key, type ReactNode } from "react";
import { SortIcon } from "../icons";
import { DataTablePager, type DataTablePagination } from "./data-table-pager";
import { nextSort, sortRows, type DataTableSort, type SortValue } from "./sort";

export type { DataTablePagination } from "./data-table-pager";
export type { DataTableSort, SortDirection, SortValue } from "./sort";

export interface DataTableColumn<Row> {
  /** Unique among the table's columns; what a sort names. */
  key: string;
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** What client-side sorting compares; a column with one is sortable. */
  sortValue?: (row: Row) => SortValue;
  /** Sortable without a sortValue: for a table whose rows the server sorts (a controlled `sort`). */
  sortable?: boolean;
  align?: "left" | "center" | "right";
  width?: number | string;
  /** Leaves the column out, e.g. one that only some users may see. */
  hidden?: boolean;
  /** Props of the column's cells (font, colour, wrapping): the same for every row, or per row. */
  cellProps?: TableTdProps | ((row: Row) => TableTdProps);
}

export interface DataTableProps<Row> extends Omit<TableProps, "children" | "data"> {
  columns: readonly DataTableColumn<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => Key;
  /** The row's buttons, in a last "Actions" column; without it there is no such column. */
  rowActions?: (row: Row) => ReactNode;
  /** Highlights the rows chosen in a selection table (by radio or checkbox). */
  isRowSelected?: (row: Row) => boolean;
  /** Props of a row's `tr`: a click handler, a colour, aria-current. */
  rowProps?: (row: Row) => TableTrProps;
  /** A full-width row under the row (its details, a nested table), or null for none. */
  rowDetail?: (row: Row) => ReactNode;
  /** Shown instead of the table while there are no rows. */
  empty?: { message: ReactNode; action?: ReactNode };
  /** Shows a Loader named `loadingLabel` instead of the table. */
  loading?: boolean;
  loadingLabel?: string;
  /**
   * Controlled sorting, for rows the server sorts: the headers show this sort (null: none) and the
   * rows stay in the order given. Left undefined, the table sorts its rows itself.
   */
  sort?: DataTableSort;
  /** The sort a header click asks for; in controlled mode the caller fetches the rows in that order. */
  onSortChange?: (sort: DataTableSort) => void;
  /** The sort an uncontrolled table starts with; none (the order given) by default. */
  defaultSort?: DataTableSort;
  /** Previous and Next buttons under the table, for rows the server pages. */
  pagination?: DataTablePagination;
  /** The width below which the table scrolls sideways instead of squeezing its columns. */
  minWidth?: number;
}

/**
 * The columns of a table whose rows the server sorts: only those named in `keys` sort (by the
 * server's key of the same name); the others lose their client-side sort.
 */
export function serverSorted<Row>(columns: readonly DataTableColumn<Row>[], keys: readonly string[]): DataTableColumn<Row>[] {
  return columns.map(({ sortValue: _, ...column }) => ({ ...column, sortable: keys.includes(column.key) }));
}

const ARIA_SORT = { asc: "ascending", desc: "descending" } as const;

/**
 * The console's table: a header per column (a button where the column sorts, with `aria-sort` on
 * its cell), one row per item with its actions last, and in place of the rows a loader or an
 * empty-state message. Sorts on the client unless given `sort`, which leaves sorting to the server.
 */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const { columns, rows, rowKey, rowActions, isRowSelected, rowProps, rowDetail, empty, loading, loadingLabel = "Loading", ...rest } = props;
  const { sort, onSortChange, defaultSort = null, pagination, minWidth, verticalSpacing = "sm", highlightOnHover = true, ...tableProps } = rest;
  const [ownSort, setOwnSort] = useState<DataTableSort>(defaultSort);
  const controlled = sort !== undefined;
  const current = controlled ? sort : ownSort;
  const visible = columns.filter((column) => !column.hidden);

  function sortBy(key: string) {
    const next = nextSort(current, key);
    if (!controlled) setOwnSort(next);
    onSortChange?.(next);
  }

  const sortColumn = controlled || !current ? undefined : visible.find((column) => column.key === current.key);
  const shown = sortColumn?.sortValue && current ? sortRows(rows, sortColumn.sortValue, current.direction) : rows;
  const span = visible.length + (rowActions ? 1 : 0);

  let body: ReactNode;
  if (loading) {
    body = (
      <Center p="xl">
        <Loader aria-label={loadingLabel} />
      </Center>
    );
  } else if (rows.length === 0) {
    body = (
      <Stack align="center" gap="sm" p="xl">
        <Text ta="center" c="dimmed">
          {empty?.message ?? "Nothing to show."}
        </Text>
        {empty?.action}
      </Stack>
    );
  } else {
    const table = (
      <Table verticalSpacing={verticalSpacing} highlightOnHover={highlightOnHover} {...tableProps}>
        <Table.Thead>
          <Table.Tr>
            {visible.map((column) => (
              <HeaderCell key={column.key} column={column} direction={current?.key === column.key ? current.direction : null} onSort={sortBy} />
            ))}
            {rowActions && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((row) => {
            const detail = rowDetail?.(row);
            const selected = isRowSelected?.(row) ?? false;
            return (
              <Fragment key={rowKey(row)}>
                <Table.Tr {...rowProps?.(row)} {...(selected && { bg: "var(--mantine-color-blue-light)", "data-selected": true })}>
                  {visible.map((column) => (
                    <Table.Td
                      key={column.key}
                      ta={column.align}
                      {...(typeof column.cellProps === "function" ? column.cellProps(row) : column.cellProps)}
                    >
                      {column.cell(row)}
                    </Table.Td>
                  ))}
                  {rowActions && <Table.Td>{rowActions(row)}</Table.Td>}
                </Table.Tr>
                {detail != null && (
                  <Table.Tr>
                    <Table.Td colSpan={span} pl="xl">
                      {detail}
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            );
          })}
        </Table.Tbody>
      </Table>
    );
    body = minWidth === undefined ? table : <Table.ScrollContainer minWidth={minWidth}>{table}</Table.ScrollContainer>;
  }
  return pagination ? (
    <>
      {body}
      <DataTablePager {...pagination} />
    </>
  ) : (
    body
  );
}

interface HeaderCellProps<Row> {
  column: DataTableColumn<Row>;
  /** How the rows are sorted by this column, or null. */
  direction: "asc" | "desc" | null;
  onSort(key: string): void;
}

/** A column's header; a sortable one is a button that says its sort by arrow and by `aria-sort`. */
function HeaderCell<Row>({ column, direction, onSort }: HeaderCellProps<Row>) {
  const sortable = column.sortable === true || column.sortValue !== undefined;
  return (
    <Table.Th ta={column.align} w={column.width} aria-sort={direction ? ARIA_SORT[direction] : undefined}>
      {sortable ? (
        <UnstyledButton onClick={() => onSort(column.key)} fz="inherit" fw="inherit" style={{ textAlign: "inherit" }}>
          {column.header}
          {/* Inline, so that it follows the last word of a header that wraps. */}
          <span style={{ display: "inline-block", marginLeft: 4, verticalAlign: "middle", lineHeight: 0 }}>
            <SortIcon direction={direction} />
          </span>
        </UnstyledButton>
      ) : (
        column.header
      )}
    </Table.Th>
  );
}
