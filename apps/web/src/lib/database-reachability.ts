import { useSyncExternalStore } from "react";

/**
 * Whether the console's last answers said the server cannot reach its database (a PostgreSQL
 * restart or failover): the shell shows "Reconnecting…" instead of every page showing errors,
 * and clears it at the first answer that arrives after the database is back.
 */
let away = false;
const listeners = new Set<() => void>();

export function noteDatabaseAway(next: boolean): void {
  if (next === away) return;
  away = next;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useDatabaseAway(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => away,
    () => false,
  );
}
