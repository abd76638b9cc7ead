export * from "./usage";
export * from "./claim";
