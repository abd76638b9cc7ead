/** `npm run bench [-- NAME ...]`: runs the named web benchmarks, or all of them. */
const BENCHES: Record<string, () => Promise<void>> = {
  launch: async () => (await import("./launch")).main(),
  boot: async () => (await import("./boot")).main(),
  api: async () => (await import("./api")).main(),
  moves: async () => (await import("./moves")).main(),
  network: async () => (await import("./network")).main(),
  actions: async () => (await import("./actions")).main(),
  soak: async () => (await import("./soak")).main(),
  scale: async () => (await import("./scale")).main(),
};
/**
 * Run only when named: the soak takes an hour by default (`npm run bench -- soak --minutes 5`
 * for less), the scale bench seeds up to 100,000 instances (`-- scale --sizes 1000`).
 */
const ON_REQUEST = new Set(["soak", "scale"]);

const wanted = process.argv.slice(2).filter((a) => a !== "--");
// Options (`--sizes 1000`, `--minutes 5`) are the benches' own: only names choose benches.
const named = wanted.filter((n) => n in BENCHES);
const names = named.length > 0 ? named : Object.keys(BENCHES).filter((n) => !ON_REQUEST.has(n));
for (const name of names) await BENCHES[name]!();
process.exit(0);
export {};
