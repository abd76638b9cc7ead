// Fixes in installed dependencies that their releases do not have yet, applied after every
// `npm ci` / `npm install` (the root package's postinstall). Each fix names the upstream report,
// checks the exact version and text it applies to, is idempotent, and fails the install loudly
// when the text is not what it expects (a new release: check whether the fix is still needed).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The one copy every workspace uses (npm hoists it; package-lock.json has no other). */
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "node_modules", "postgres");

/**
 * postgres.js 3.4.9: a connection whose socket closes while a small write waits for its
 * setImmediate keeps `nextWriteTimer` set (so it never schedules a flush again), and a later
 * write dereferences the null socket: "TypeError: Cannot read properties of null (reading
 * 'write')" thrown from a timer, which ends the process (porsager/postgres#1066, #1154, #1208;
 * fixes proposed in #1168 and #1176). Seen here when PostgreSQL restarts or an operator
 * terminates Nimbus's connections (bench/soak.ts). The fix: a write with no socket is dropped
 * (the connection's queries were already rejected with CONNECTION_CLOSED), and closing resets
 * the pending write so a reconnected connection flushes again.
 */
const POSTGRES_FIXES = [
  {
    from: "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    to: "  function nextWrite(fn) {\n    if (socket === null) { /* nimbus: closed meanwhile */\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      return false\n    }\n    const x = socket.write(chunk, fn)",
  },
  {
    from: "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
    to: "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null /* nimbus: a reconnected connection flushes again */\n    socket.removeListener('data', data)",
  },
];

const version = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;
if (version !== "3.4.9") {
  throw new Error(
    `scripts/patch-dependencies.mjs fixes postgres 3.4.9, but ${version} is installed: check whether the release has the fix and drop or update the patch`,
  );
}
for (const file of ["src/connection.js", "cjs/src/connection.js"]) {
  const target = path.join(root, file);
  let text = readFileSync(target, "utf8");
  if (text.includes("/* nimbus:")) continue;
  for (const { from, to } of POSTGRES_FIXES) {
    if (!text.includes(from)) throw new Error(`scripts/patch-dependencies.mjs: ${file} of postgres ${version} does not have the expected text`);
    text = text.replace(from, to);
  }
  writeFileSync(target, text);
  process.stdout.write(`patched postgres ${version} ${file} (null socket after a closed connection)\n`);
}
