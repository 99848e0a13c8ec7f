import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../src/common/random.js';
import { NamedGroup } from '../../src/dtls/constants.js';
import { generateEphemeralKey } from '../../src/dtls/key-exchange.js';

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

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

  it('an X25519 key share is the public value node:crypto exports for the private key', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const share = generateEphemeralKey(NamedGroup.x25519, new SeededRandom(seed));
      // The same 32 bytes the seeded source gave the key, imported and exported by node:crypto alone.
      const scalar = new SeededRandom(seed).fill(new Uint8Array(32));
      const privateKey = createPrivateKey({
        key: Buffer.concat([X25519_PKCS8_PREFIX, scalar]),
        format: 'der',
        type: 'pkcs8',
      });
      const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
      assert.deepEqual(Buffer.from(share.publicKey), spki.subarray(spki.byteLength - 32));
    }
  });

  it('two generated X25519 key shares agree on the shared secret', () => {
    for (let i = 0; i < 20; i++) {
      const a = generateEphemeralKey(NamedGroup.x25519);
      const b = generateEphemeralKey(NamedGroup.x25519);
      assert.equal(a.publicKey.byteLength, 32);
      assert.notDeepEqual(a.publicKey, b.publicKey);
      assert.deepEqual(a.computeSecret(b.publicKey), b.computeSecret(a.publicKey));
    }
  });
});
