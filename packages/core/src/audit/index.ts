export * from "./record";
export * from "./list";
