export * from "./types";
export * from "./capacity";
export * from "./filters";
export * from "./weighers";
export * from "./explain";
export * from "./select";
