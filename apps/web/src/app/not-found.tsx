import type { Metadata } from "next";
import { NotFoundView } from "@/components/common/not-found-view";

export const metadata: Metadata = { title: "Page not found · Nimbus" };

export default function NotFound() {
  return <NotFoundView />;
}
