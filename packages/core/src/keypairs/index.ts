export * from "./validation";
export * from "./openssh";
export * from "./store";
export * from "./list-key-pairs";
export * from "./create-key-pair";
export * from "./import-key-pair";
export * from "./delete-key-pair";
