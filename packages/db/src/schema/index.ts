export * from "./identity";
export * from "./quota";
export * from "./catalog";
export * from "./compute";
export * from "./instance";
export * from "./placement";
export * from "./build-request";
