/** `npm run bench [-- NAME ...]`: runs the named web benchmarks, or all of them. */
const BENCHES: Record<string, () => Promise<void>> = {
  launch: async () => (await import("./launch")).main(),
  boot: async () => (await import("./boot")).main(),
  api: async () => (await import("./api")).main(),
  moves: async () => (await import("./moves")).main(),
  network: async () => (await import("./network")).main(),
  scale: async () => (await import("./scale")).main(),
};

const wanted = process.argv.slice(2).filter((a) => a !== "--");
// Options (`--sizes 1000`) are the benches' own: only names choose benches.
const named = wanted.filter((n) => n in BENCHES);
// The scale bench seeds up to 100,000 instances: it runs only when named.
const names = wanted.length > 0 ? named : Object.keys(BENCHES).filter((n) => n !== "scale");
for (const name of names) await BENCHES[name]!();
process.exit(0);
export {};
