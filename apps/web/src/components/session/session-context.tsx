"use client";

import { createContext, useContext, type ReactNode } from "react";
import type { Principal } from "@/lib/api-types";

const SessionContext = createContext<Principal | null>(null);

export function SessionProvider({ principal, children }: { principal: Principal; children: ReactNode }) {
  return <SessionContext.Provider value={principal}>{children}</SessionContext.Provider>;
}

/** The signed-in principal; only inside the session gate of the console. */
export function useSession(): Principal {
  const principal = useContext(SessionContext);
  if (!principal) throw new Error("useSession() outside of the signed-in console");
  return principal;
}

/** Keystone's member role (or cloud admin) may launch and delete; a reader only looks. */
export function canManageInstances(principal: Principal): boolean {
  return principal.isAdmin || principal.role !== "reader";
}
