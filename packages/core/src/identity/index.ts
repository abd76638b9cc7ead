export * from "./password";
export * from "./session";
export * from "./throttle";
export * from "./sign-in";
export * from "./api-tokens";
export * from "./users";
export * from "./projects";
