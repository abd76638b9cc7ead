export * from "./conductor";
