import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The console imports core's pure subpaths (validation, protocol, instance-state) as TypeScript.
  transpilePackages: ["@nimbus/core"],
  typedRoutes: false,
  reactStrictMode: true,
};

export default nextConfig;
