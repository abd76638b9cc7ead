export * from "./ipam";
export * from "./ports";
export * from "./security-groups";
export * from "./subnet-rules";
export * from "./networks";
export * from "./subnets";
export * from "./list-ports";
export * from "./security-group-admin";
