/**
 * Injected randomness: engines given the same seeded RandomSource produce the same hellos, cookies and
 * ECDHE key shares, so a simulated handshake repeats itself byte for byte up to the ECDSA signatures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual } from '../../src/common/bytes.js';
import { SeededRandom } from '../../src/common/random.js';
import { cipherSuiteByName } from '../../src/dtls/cipher-suites.js';
import { HandshakeType, NamedGroup } from '../../src/dtls/constants.js';
import { DtlsEngine } from '../../src/dtls/engine.js';
import { generateEphemeralKey } from '../../src/dtls/key-exchange.js';
import { newRecordHeader, readRecordHeader } from '../../src/dtls/record.js';
import { epochKeysFromKeyBlock, keyBlockLength } from '../../src/dtls/record-cipher.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

/** Bodies of the plaintext handshake messages in a datagram, by type (unfragmented ones). */
function handshakeBodies(datagram: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const h = newRecordHeader();
  let at = 0;
  while (at < datagram.byteLength) {
    const next = readRecordHeader(datagram, at, h);
    if (next < 0) break;
    if (h.type === 22 && h.epoch === 0) {
      const f = datagram.subarray(h.fragmentOffset, next);
      out.set(f[0]!, f.subarray(12));
    }
    at = next;
  }
  return out;
}

/** One handshake on the simulated network with seeded engines; the handshake messages each side sent. */
async function seededHandshake(seed: number): Promise<{
  fromClient: Map<number, Uint8Array>[];
  fromServer: Map<number, Uint8Array>[];
  data: Uint8Array[];
}> {
  const { ecdsa } = await testCertificates();
  const { net, client, server } = enginePair({
    clientCert: ecdsa,
    serverCert: ecdsa,
    client: { random: new SeededRandom(seed) },
    server: { random: new SeededRandom(seed + 1000) },
  });
  const fromClient: Map<number, Uint8Array>[] = [];
  const fromServer: Map<number, Uint8Array>[] = [];
  const data: Uint8Array[] = [];
  net.tap = (d) => {
    if (d.data[0] === 23) data.push(d.data.slice());
    else (d.source.address === '203.0.113.101' ? fromClient : fromServer).push(handshakeBodies(d.data));
    return true;
  };
  assert.ok(
    net.runUntil(() => bothConnected(client, server), 10_000),
    'the seeded pair connects',
  );
  client.engine.send(new Uint8Array([1, 2, 3]));
  net.runFor(10);
  return { fromClient, fromServer, data };
}

function message(flights: Map<number, Uint8Array>[], type: number, nth = 0): Uint8Array {
  const found = flights.filter((m) => m.has(type));
  assert.ok(found[nth], `message ${type} #${nth} was sent`);
  return found[nth]!.get(type)!;
}

describe('DTLS injectable randomness', () => {
  it('two clients seeded alike send byte-identical ClientHellos; other seeds differ', async () => {
    const { ecdsa } = await testCertificates();
    const hello = (seed: number): Uint8Array => {
      const engine = new DtlsEngine({
        role: 'client',
        credential: ecdsa,
        verifyPeer: () => true,
        random: new SeededRandom(seed),
      });
      engine.start(0);
      return engine.pollTransmit()!;
    };
    assert.ok(bytesEqual(hello(7), hello(7)), 'seeded values repeat');
    assert.ok(!bytesEqual(hello(7), hello(8)), 'another seed differs');
  });

  it('seeded handshakes repeat their cookies and key shares, and complete', async () => {
    const a = await seededHandshake(21);
    const b = await seededHandshake(21);
    const c = await seededHandshake(22);
    for (const type of [HandshakeType.clientHello, HandshakeType.clientKeyExchange]) {
      assert.ok(
        bytesEqual(message(a.fromClient, type), message(b.fromClient, type)),
        `client message ${type}`,
      );
      assert.ok(
        !bytesEqual(message(a.fromClient, type), message(c.fromClient, type)),
        'another seed differs',
      );
    }
    assert.ok(
      bytesEqual(
        message(a.fromClient, HandshakeType.clientHello, 1),
        message(b.fromClient, HandshakeType.clientHello, 1),
      ),
      'the ClientHello with the cookie repeats too',
    );
    for (const type of [HandshakeType.helloVerifyRequest, HandshakeType.serverHello]) {
      assert.ok(
        bytesEqual(message(a.fromServer, type), message(b.fromServer, type)),
        `server message ${type}`,
      );
    }
    // ServerKeyExchange: curve type, group, point length, point; then the (randomized) ECDSA signature.
    const point = (flights: Map<number, Uint8Array>[]): Uint8Array => {
      const ske = message(flights, HandshakeType.serverKeyExchange);
      return ske.subarray(4, 4 + ske[3]!);
    };
    assert.ok(bytesEqual(point(a.fromServer), point(b.fromServer)), 'seeded values repeat');
    assert.ok(!bytesEqual(point(a.fromServer), point(c.fromServer)), 'another seed differs');
    // The extended master secret hashes the ServerKeyExchange, whose ECDSA signature node:crypto
    // randomizes (no RFC 6979), so the record keys differ between runs even with one seed.
    assert.ok(!bytesEqual(a.data[0]!, b.data[0]!), 'ECDSA keeps the session keys unpredictable');
  });

  it('CBC explicit IVs come from the source too', () => {
    const suite = cipherSuiteByName('TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA');
    const block = new Uint8Array(keyBlockLength(suite)).fill(9);
    const seal = (random?: SeededRandom): Uint8Array =>
      epochKeysFromKeyBlock(suite, block, 'auto', random).clientWrite.seal(23, 1, 0, new Uint8Array(100));
    assert.ok(bytesEqual(seal(new SeededRandom(4)), seal(new SeededRandom(4))), 'same seed, same record');
    assert.ok(!bytesEqual(seal(new SeededRandom(4)), seal(new SeededRandom(5))), 'the IV follows the seed');
    assert.ok(!bytesEqual(seal(), seal()), 'the default source is the CSPRNG');
  });

  it('ECDHE keys from a seeded source are valid on every group and agree with generated ones', () => {
    for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
      const seeded = generateEphemeralKey(group, new SeededRandom(group));
      const again = generateEphemeralKey(group, new SeededRandom(group));
      const generated = generateEphemeralKey(group);
      assert.ok(bytesEqual(seeded.publicKey, again.publicKey), 'seeded values repeat');
      assert.ok(!bytesEqual(seeded.publicKey, generated.publicKey), 'another seed differs');
      assert.ok(
        bytesEqual(seeded.computeSecret(generated.publicKey), generated.computeSecret(seeded.publicKey)),
        'both ends derive one secret',
      );
    }
  });

  it('a NIST scalar out of range is drawn again', () => {
    // All-ones is above the P-256 order; the source gives it once, then ordinary bytes.
    let first = true;
    const source = {
      fill(target: Uint8Array): Uint8Array {
        if (first) target.fill(0xff);
        else target.fill(0x11);
        first = false;
        return target;
      },
    };
    const key = generateEphemeralKey(NamedGroup.secp256r1, source);
    assert.equal(key.publicKey.byteLength, 65);
    assert.equal(first, false);
  });
});
