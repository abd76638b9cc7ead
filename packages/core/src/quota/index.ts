export * from "./limits";
export * from "./enforce";
export * from "./image-uploads";
export * from "./usage-report";
export * from "./set-quota";
