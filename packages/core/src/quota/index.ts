export * from "./limits";
export * from "./enforce";
export * from "./usage-report";
export * from "./set-quota";
