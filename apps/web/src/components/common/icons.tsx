import type { ReactNode } from "react";

/** Small stroke icons for ActionIcons; the ActionIcon's aria-label names the action. */

/** The frame every icon here shares: a 24-unit stroke drawing, hidden from assistive technology. */
function StrokeIcon({ size, strokeWidth, children }: { size: number; strokeWidth: number; children: ReactNode }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={strokeWidth}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden
    >
      {children}
    </svg>
  );
}

export function TrashIcon() {
  return (
    <StrokeIcon size={16} strokeWidth={2}>
      <path d="M4 7h16M10 11v6M14 11v6M5 7l1 12a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2l1-12M9 7V4h6v3" />
    </StrokeIcon>
  );
}

export function CrossIcon({ size = 12 }: { size?: number }) {
  return (
    <StrokeIcon size={size} strokeWidth={2.5}>
      <path d="M6 6l12 12M18 6L6 18" />
    </StrokeIcon>
  );
}

export function ShareIcon() {
  return (
    <StrokeIcon size={16} strokeWidth={2}>
      <circle cx="18" cy="5" r="3" />
      <circle cx="6" cy="12" r="3" />
      <circle cx="18" cy="19" r="3" />
      <path d="M8.6 13.5l6.8 4M15.4 6.5l-6.8 4" />
    </StrokeIcon>
  );
}

/** A sortable column header's arrow: up ascending, down descending, both faint while unsorted. */
export function SortIcon({ direction }: { direction: "asc" | "desc" | null }) {
  return (
    <StrokeIcon size={12} strokeWidth={2.5}>
      {direction !== "desc" && <path d="M7 10l5-5 5 5" opacity={direction === null ? 0.35 : 1} />}
      {direction !== "asc" && <path d="M7 14l5 5 5-5" opacity={direction === null ? 0.35 : 1} />}
    </StrokeIcon>
  );
}
