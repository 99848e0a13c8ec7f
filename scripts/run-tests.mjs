#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test and the tsx loader (Node 20's --test does not expand globs).
// Usage: npm test [-- <path-prefix>...]   e.g. npm test -- test/stun test/ice/agent.test.ts
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('test', [])
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p.replace(/^\.\//, ''))))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Files that measure rates and delays in real time against a real browser (a congestion controller at a kernel
// cap, Chromium's ramp): a second file's CPU load beside them distorts what they judge, so they run after the
// others, one at a time.
const ALONE = new Set(['test/interop/chromium-bwe.test.ts']);
const together = files.filter((f) => !ALONE.has(f));
const alone = files.filter((f) => ALONE.has(f));

// Per test and per file: a file of Chromium or FFmpeg cases has taken over 3 minutes on a loaded 2-core
// machine; a hang still ends.
function run(list, concurrency) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...list],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}
const status = [run(together, 2), run(alone, 1)];
process.exit(status.find((s) => s !== 0) ?? 0);
