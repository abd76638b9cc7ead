/**
 * The import rules CI holds the code to (`npm run lint:deps`; see README "Architecture").
 *
 * Core's floors, from the top of the boot path down. A room (a folder, or a file at core's root)
 * may import the floors below its own, never one above, and never a neighbour on its own floor
 * (except on the ground floor, whose small pure modules share helpers). A new room must be
 * given a floor here before anything in it is accepted.
 */
const CORE_FLOORS = [
  ["catalog"], // first-start seeding and the launch wizard's catalogue
  ["conductor"], // the durable build loop and dispatch
  ["compute"], // instance verbs: launch, delete, reports, console
  ["hosts", "volumes", "keypairs", "health"], // operators' host verbs; Cinder's and key pair verbs; readiness and metrics reads
  ["images", "network", "identity"], // Glance, Neutron, Keystone
  ["quota"], // Nova's, Cinder's and Glance's limits: below the image verbs, which check the image quotas
  ["audit"], // the audit trail every verb writes
  ["context.ts"], // what a verb is given: services and the caller
  ["policy.ts", "settings.ts"], // who may do what; identity knobs
  ["scheduler"], // select_destinations, host states, filters and weighers
  ["placement"], // inventories, usage, the generation-guarded claim
  ["paging"], // keyset pagination, which the list verbs share
  ["protocol", "instance", "validation.ts", "errors.ts", "plural.ts", "pg-errors.ts", "error-log.ts"], // pure ground
];

const CORE = "^packages/core/src/";
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const room = (name) => (name.endsWith(".ts") ? `${CORE}${escapeRegex(name)}$` : `${CORE}${escapeRegex(name)}/`);
const rooms = (names) => names.map(room);
/** Tests, benchmarks and browser specs are not rooms: they may reach anywhere they test. */
const NOT_CODE = ["\\.test\\.tsx?$", "/test/", "/e2e/", "/bench/"];

const floorRules = CORE_FLOORS.flatMap((floor, level) => {
  const above = CORE_FLOORS.slice(0, level).flat();
  const rules = [];
  if (above.length > 0) {
    rules.push({
      name: `core-upward-from-${floor.join("+")}`,
      comment: `Core's floors run one way (conductor → compute → … → placement → ground): ${floor.join(", ")} may not import a floor above it.`,
      severity: "error",
      from: { path: rooms(floor), pathNot: NOT_CODE },
      to: { path: rooms(above) },
    });
  }
  if (floor.length > 1 && level < CORE_FLOORS.length - 1) {
    for (const name of floor) {
      rules.push({
        name: `core-sideways-from-${name}`,
        comment: `${name} shares a floor with ${floor.filter((n) => n !== name).join(", ")}: neighbours do not import each other (put what both need a floor lower).`,
        severity: "error",
        from: { path: room(name), pathNot: NOT_CODE },
        to: { path: rooms(floor.filter((n) => n !== name)) },
      });
    }
  }
  return rules;
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycles anywhere: a cycle means two files are one thing, or one is in the wrong place.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-room-without-a-floor",
      comment: "Every folder and root file of packages/core/src has a floor in CORE_FLOORS (.dependency-cruiser.cjs).",
      severity: "error",
      from: { path: `${CORE}`, pathNot: [...rooms(CORE_FLOORS.flat()), ...NOT_CODE] },
      to: {},
    },
    ...floorRules,
    {
      name: "db-only-through-core",
      comment:
        "The database is reached through core's verbs. Only packages/db, core and the web server's composition root " +
        "(apps/web/src/server/app.ts, which opens the pool) import it, and the archive CLI (apps/web/src/server/archive.ts, an " +
        "entry point of its own that opens one connection); tests and benchmarks may, to check what was stored.",
      severity: "error",
      from: { pathNot: ["^packages/db/", "^packages/core/", "^apps/web/src/server/app\\.ts$", "^apps/web/src/server/archive\\.ts$", ...NOT_CODE] },
      to: { path: "^packages/db/" },
    },
    {
      name: "agent-imports-only-pure-core",
      comment:
        "A compute agent holds no database credentials: it imports core's protocol contracts, pure address helpers and the " +
        "log's error serializer only.",
      severity: "error",
      from: { path: "^apps/compute-agent/" },
      to: { path: "^packages/core/", pathNot: [`${CORE}protocol/`, `${CORE}network/ipam\\.ts$`, `${CORE}error-log\\.ts$`] },
    },
    {
      name: "packages-never-import-apps",
      comment: "Dependency direction is apps → core → db.",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "apps-never-import-each-other",
      comment: "The web app and the compute agent share code only through packages/.",
      severity: "error",
      from: { path: "^apps/([^/]+)/", pathNot: NOT_CODE },
      to: { path: "^apps/", pathNot: "^apps/$1/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["\\.next/", "/dist/", "node_modules/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".d.ts"],
      mainFields: ["module", "main", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
