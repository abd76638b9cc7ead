export * from "./password";
export * from "./roles";
export * from "./policy";
export * from "./session";
export * from "./sign-in";
