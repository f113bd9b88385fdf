// Fails when the app's main entry, with every chunk it imports statically
// (what a browser must load before the first page shows), exceeds the budget
// in gzipped JavaScript. Lazily loaded chunks (pages, charts, the
// playground) are listed but not counted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KIB = Number(process.env.MAIN_BUNDLE_BUDGET_KIB ?? 250);
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

let manifest;
try {
  manifest = JSON.parse(readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8'));
} catch (e) {
  console.error(`no build manifest in ${dist}: build the app first (make web): ${e.message}`);
  process.exit(1);
}

const gz = (file) => gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** The entry's JavaScript and everything it imports statically, each once. */
function staticClosure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) staticClosure(dep, seen);
  return seen;
}

const entry = Object.keys(manifest).find((k) => manifest[k].isEntry && k.endsWith('index.html'));
if (!entry) {
  console.error('the manifest has no index.html entry');
  process.exit(1);
}
const mainKeys = staticClosure(entry);
let total = 0;
console.log('main entry (gzipped JavaScript loaded before the first page):');
for (const k of mainKeys) {
  const size = gz(manifest[k].file);
  total += size;
  console.log(`  ${manifest[k].file.padEnd(44)} ${kib(size)}`);
}
console.log(`  ${'total'.padEnd(44)} ${kib(total)} of ${BUDGET_KIB} KiB`);
console.log('loaded later (not counted):');
for (const [k, v] of Object.entries(manifest)) {
  if (mainKeys.has(k) || !v.file.endsWith('.js')) continue;
  const size = gz(v.file);
  if (size > 5 * 1024 || v.isEntry) console.log(`  ${v.file.padEnd(44)} ${kib(size)}${v.isEntry ? ' (entry: ' + k + ')' : ''}`);
}
if (total > BUDGET_KIB * 1024) {
  console.error(`main bundle is ${kib(total)} gzipped, over the ${BUDGET_KIB} KiB budget: load more of it lazily`);
  process.exit(1);
}
console.log(`main bundle within budget: ${kib(total)} <= ${BUDGET_KIB} KiB`);
