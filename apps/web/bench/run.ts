/** `npm run bench [-- NAME ...]`: runs the named web benchmarks, or all of them. */
const BENCHES: Record<string, () => Promise<void>> = {
  launch: async () => (await import("./launch")).main(),
  boot: async () => (await import("./boot")).main(),
  api: async () => (await import("./api")).main(),
  moves: async () => (await import("./moves")).main(),
  network: async () => (await import("./network")).main(),
  actions: async () => (await import("./actions")).main(),
};

const wanted = process.argv.slice(2).filter((a) => a !== "--");
const names = wanted.length > 0 ? wanted.filter((n) => n in BENCHES) : Object.keys(BENCHES);
for (const name of names) await BENCHES[name]!();
process.exit(0);
export {};
