export * from "./usage";
export * from "./claim";
export * from "./types";
