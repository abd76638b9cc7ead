export * from "./client";
export * from "./rows";
export * as schema from "./schema/index";
export * from "./statement";
export * from "./health";
