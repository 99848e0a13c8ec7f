import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('ECDHE key shares', () => {
  it('thousands of X25519 key shares under garbage collection do not hang the process', () => {
    // Node 20 hangs when a GC runs the key-generation job's destructor during a JWK export of the key it
    // made; the old code read X25519 public values that way and froze within ~10,000 handshakes.
    const script = `
      const { generateEphemeralKey } = await import(${JSON.stringify(new URL('../../src/dtls/key-exchange.ts', import.meta.url).href)});
      const junk = [];
      for (let i = 0; i < 15000; i++) {
        const key = generateEphemeralKey(29);
        if (key.publicKey.byteLength !== 32) throw new Error('bad key share');
        junk.push(new Array(20).fill(i));
        if (junk.length > 2000) junk.length = 0;
      }
      console.log('done');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 45_000,
    });
    assert.equal(child.signal, null, 'the child finished before its timeout');
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /done/);
  });
});
