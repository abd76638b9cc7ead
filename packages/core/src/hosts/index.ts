export * from "./register-host";
export * from "./list-hosts";
export * from "./update-host";
export * from "./aggregates";
export * from "./preview-placement";
export * from "./enrollment";
