/**
 * The loader's contract, each case in a fresh Node: TSRTC_NATIVE=1 fails at start-up when the addon is
 * missing; without it a missing or broken addon is reported once under DEBUG=tsrtc:native and the
 * TypeScript path works; TSRTC_NATIVE=0 keeps a built addon unused; the build script skips cleanly
 * without a C compiler.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { needsAddon } from './addon.js';

const SCRIPT = `
import { nativeStatus } from './src/common/native.ts';
import { cipherSuiteByName } from './src/dtls/cipher-suites.ts';
import { epochKeysFromKeyBlock, keyBlockLength } from './src/dtls/record-cipher.ts';
const suite = cipherSuiteByName('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
for (let i = 0; i < 3; i++) {
  const keys = epochKeysFromKeyBlock(suite, new Uint8Array(keyBlockLength(suite)).fill(i));
  const record = keys.clientWrite.seal(23, 1, 5, new Uint8Array([1, 2, 3]));
  if (keys.clientWrite.open(23, 1, 5, record.subarray(13))?.[2] !== 3) throw new Error('round trip failed');
}
console.log(JSON.stringify(nativeStatus()));
`;

function run(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, TSRTC_NATIVE: '', TSRTC_NATIVE_PATH: '', DEBUG: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('native addon loader', () => {
  it('TSRTC_NATIVE=1 without the addon fails at start-up with a clear error', () => {
    const r = run({ TSRTC_NATIVE: '1', TSRTC_NATIVE_PATH: '/nonexistent/tsrtc_native.node' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TSRTC_NATIVE=1 but the native addon cannot be loaded: .*does not exist/);
  });

  it('a missing addon is reported once in the debug log and the TypeScript path takes over', () => {
    const r = run({ DEBUG: 'tsrtc:native', TSRTC_NATIVE_PATH: '/nonexistent/tsrtc_native.node' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.match(/native addon unavailable, using the TypeScript path/g)?.length, 1, r.stderr);
    const status = JSON.parse(r.stdout) as { loaded: boolean; mode: string };
    assert.deepEqual([status.loaded, status.mode], [false, 'auto']);
    assert.equal(run({ TSRTC_NATIVE_PATH: '/nonexistent/x.node' }).stderr, '', 'silent without DEBUG');
  });

  it('a broken addon file is refused and the TypeScript path takes over', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'tsrtc-native-')), 'tsrtc_native.node');
    writeFileSync(bad, 'not a shared object');
    const r = run({ DEBUG: 'tsrtc:native', TSRTC_NATIVE_PATH: bad });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /native addon unavailable/);
    assert.equal((JSON.parse(r.stdout) as { loaded: boolean }).loaded, false);
  });

  it('TSRTC_NATIVE=0 leaves a built addon unused; unset, it is used', needsAddon, () => {
    const off = JSON.parse(run({ TSRTC_NATIVE: '0' }).stdout) as { loaded: boolean; mode: string };
    assert.deepEqual([off.loaded, off.mode], [false, 'off']);
    const on = JSON.parse(run({}).stdout) as { loaded: boolean; openssl: string };
    assert.equal(on.loaded, true);
    assert.match(on.openssl, /^OpenSSL 3\./);
  });

  it('the build script skips with a message when there is no C compiler, and --strict fails', () => {
    const env = { ...process.env, CC: '/nonexistent/cc' };
    const optional = spawnSync(process.execPath, ['scripts/build-native.mjs'], { encoding: 'utf8', env });
    assert.equal(optional.status, 0);
    assert.match(optional.stdout, /no C compiler .*the TypeScript path will be used/);
    const strict = spawnSync(process.execPath, ['scripts/build-native.mjs', '--strict'], {
      encoding: 'utf8',
      env,
    });
    assert.equal(strict.status, 1);
  });
});
