import type { RouterOutputs } from "@/lib/api-types";

/** What routers.list returns, as the console receives it. */
export type RouterSummary = RouterOutputs["routers"]["list"][number];
export type RouterInterface = RouterSummary["interfaces"][number];
