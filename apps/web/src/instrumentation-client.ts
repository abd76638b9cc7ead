import { z } from "zod";

/**
 * Runs in the browser before any of the console's code (Next.js's instrumentation-client).
 * Zod compiles object schemas with `new Function` where eval is allowed, and probes for it as
 * the first schema is made. The console's Content-Security-Policy allows no eval (src/proxy.ts),
 * so the probe would be reported as a violation on every page: zod is told not to try.
 */
z.config({ jitless: true });
