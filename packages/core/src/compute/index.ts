export * from "./announce";
export * from "./lifecycle";
export * from "./launch-instance";
export * from "./delete-instance";
export * from "./queries";
export * from "./record-report";
export * from "./server-groups";
export * from "./host-failures";
