export * from "./inspect";
export * from "./import";
export * from "./refs";
export * from "./visibility";
export * from "./images";
export * from "./members";
export * from "./upload";
export * from "./host-access";
