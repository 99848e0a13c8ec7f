#!/usr/bin/env node
// Runs every bench/**/*.bench.ts in turn; each prints one JSON line per result.
// Usage: npm run bench [-- <name-substring>...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.bench.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('bench', [])
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
let failed = 0;
for (const file of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench failed: ${file}`);
  }
}
process.exit(failed ? 1 : 0);
