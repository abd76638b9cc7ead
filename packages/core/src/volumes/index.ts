export * from "./attach";
export * from "./validation";
export * from "./list-volumes";
export * from "./create-volume";
export * from "./delete-volume";
