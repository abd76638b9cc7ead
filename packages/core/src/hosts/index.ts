export * from "./register-host";
export * from "./list-hosts";
