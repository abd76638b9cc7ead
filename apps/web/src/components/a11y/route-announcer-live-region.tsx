"use client";

import { useEffect } from "react";

const ANNOUNCER_TAG = "next-route-announcer";

/** Gives the announcer's live region the `status` role, keeping it assertive. */
function relabel(host: Element): boolean {
  const region = host.shadowRoot?.firstElementChild;
  if (!region) return false;
  if (region.getAttribute("role") === "alert") {
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "assertive");
  }
  return true;
}

/**
 * Next.js announces page changes through an always-present, invisible element with
 * role="alert" (in the shadow root of <next-route-announcer>). Screen readers and tests that
 * look for "the alert" on a page would then find two: that one and the real message. This
 * keeps the announcer as an assertive live region (page changes are still read out) but
 * under the `status` role, so role="alert" means what the page is actually warning about.
 */
export function RouteAnnouncerLiveRegion() {
  useEffect(() => {
    const existing = document.querySelector(ANNOUNCER_TAG);
    if (existing && relabel(existing)) return;
    // Next creates the announcer in an effect of its own, after ours: wait for it.
    const observer = new MutationObserver(() => {
      const host = document.querySelector(ANNOUNCER_TAG);
      if (host && relabel(host)) observer.disconnect();
    });
    observer.observe(document.body, { childList: true });
    return () => observer.disconnect();
  }, []);
  return null;
}
