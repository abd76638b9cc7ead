import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The console imports core's pure subpaths (validation, protocol, instance-state) as TypeScript.
  transpilePackages: ["@nimbus/core"],
  typedRoutes: false,
  reactStrictMode: true,
  // No X-Powered-By: which framework and version serve the console is nobody else's business.
  poweredByHeader: false,
};

export default nextConfig;
