import type { RouterOutputs } from "@/lib/api-types";

export type Volume = RouterOutputs["volumes"]["list"][number];
export type VolumeStatus = Volume["status"];
