/** `npm run bench [-- NAME ...]`: runs the named core benchmarks, or all of them. */
export {};
const BENCHES: Record<string, () => Promise<unknown>> = {
  scheduler: () => import("./scheduler"),
};

const wanted = process.argv.slice(2).filter((a) => a !== "--");
const names = wanted.length > 0 ? wanted.filter((n) => n in BENCHES) : Object.keys(BENCHES);
for (const name of names) await BENCHES[name]!();
