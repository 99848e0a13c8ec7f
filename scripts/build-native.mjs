#!/usr/bin/env node
// Builds the optional native addon (native/, docs/native.md) with node-gyp against Node headers found on
// this machine; it never downloads anything. Without a C compiler, headers or node-gyp it says so and
// leaves the TypeScript path in charge.
//   node scripts/build-native.mjs           part of `npm run build`: a missing piece or failure is a message
//   node scripts/build-native.mjs --strict  `npm run build:native`: the same, but exits 1 unless it built
//   node scripts/build-native.mjs --asan    AddressSanitizer build (cc directly) into .tmp/native-asan/
// Environment: CC (compiler), TSRTC_NODEDIR (a directory holding include/node/node_api.h and openssl/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const asan = process.argv.includes('--asan');
const say = (message) => console.log(`tsrtc native: ${message}`);

function giveUp(message) {
  say(`${message}; the addon is optional, the TypeScript path will be used`);
  process.exit(strict || asan ? 1 : 0);
}

/** A directory with include/node/{node_api.h, common.gypi, openssl/evp.h}: local headers only. */
function findNodeDir() {
  const candidates = [
    process.env.TSRTC_NODEDIR,
    process.env.npm_config_nodedir,
    resolve(dirname(process.execPath), '..'), // /usr for /usr/bin/node, the prefix of an official tarball
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'node-gyp', process.versions.node),
  ];
  for (const dir of candidates) {
    if (!dir) continue;
    const inc = join(dir, 'include', 'node');
    if (['node_api.h', 'common.gypi', join('openssl', 'evp.h')].every((f) => existsSync(join(inc, f))))
      return dir;
  }
  return undefined;
}

function findNodeGyp() {
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // not installed as a devDependency: npm's own copy
  }
  const fromNpm = [
    process.env.npm_config_node_gyp,
    // npm's copy beside the running node (e.g. /usr/lib/node_modules/npm), when not run through npm
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return fromNpm.find((p) => p && existsSync(p));
}

function compilerWorks() {
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? cc : undefined;
}

/** Load the built file in a fresh Node: catches unresolved OpenSSL symbols at build time. */
function verify(file) {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `const m = require(${JSON.stringify(file)}); if (m.abi !== 2) process.exit(3); console.log(m.openssl)`,
    ],
    { encoding: 'utf8', env: asan ? { ...process.env, LD_PRELOAD: asanRuntime() } : process.env },
  );
  if (r.status !== 0)
    giveUp(`${file} does not load: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
  return r.stdout.trim();
}

function asanRuntime() {
  const r = spawnSync(process.env.CC || 'cc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

const cc = compilerWorks();
if (!cc) giveUp(`no C compiler (${process.env.CC || 'cc'}) found`);
const nodeDir = findNodeDir();
if (!nodeDir) giveUp(`no local Node headers with OpenSSL (include/node) found; set TSRTC_NODEDIR`);

if (asan) {
  const outDir = join(root, '.tmp', 'native-asan');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'tsrtc_native.node');
  const r = spawnSync(
    cc,
    [
      ...['-shared', '-fPIC', '-std=c11', '-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address'],
      ...['-Wall', '-Wextra', '-Wno-unused-parameter', '-I', join(nodeDir, 'include', 'node')],
      ...['-o', out, ...['tsrtc_native.c', 'udp_batch.c', 'udp_recv.c'].map((f) => join(root, 'native', f))],
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) giveUp('the AddressSanitizer build failed');
  say(`AddressSanitizer build ${out} (${verify(out)})`);
  say(
    `run with: LD_PRELOAD=${asanRuntime()} ASAN_OPTIONS=detect_leaks=0 TSRTC_NATIVE=1 TSRTC_NATIVE_PATH=${out}`,
  );
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) giveUp('node-gyp not found (npm install -D node-gyp)');
const r = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--directory', join(root, 'native'), '--nodedir', nodeDir, '--loglevel', 'warn'],
  { stdio: 'inherit', env: { ...process.env, CC: cc } },
);
if (r.status !== 0) giveUp('node-gyp failed (see above)');
const built = join(root, 'native', 'build', 'Release', 'tsrtc_native.node');
say(`built ${built} against ${join(nodeDir, 'include', 'node')} (${verify(built)})`);
