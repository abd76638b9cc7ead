"use client";

import { useRef } from "react";

/**
 * What a dialog was last opened for: `target` while it is set, and the one before once it goes
 * back to null, so the dialog keeps its content on screen while it animates closed.
 */
export function useLastTarget<T>(target: T | null): T | null {
  const last = useRef(target);
  if (target !== null) last.current = target;
  return last.current;
}
