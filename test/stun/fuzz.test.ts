/**
 * Fuzzing the STUN decoder, the TURN client's input path and ChannelData parsing with a seeded PRNG:
 * random datagrams, mutations of valid messages carrying every attribute kind, truncated attributes and
 * length fields that lie. The contract: `StunMessage.parse` returns or throws StunParseError; typed getters
 * throw only StunParseError; verification returns a boolean; TURN `handleInput` never throws and garbage
 * makes it send nothing and keep nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChannelData } from '../../src/ice/turn/channel-data.js';
import { TurnClient } from '../../src/ice/turn/client.js';
import { StunParseError } from '../../src/stun/attributes.js';
import { KNOWN_ATTRIBUTES, StunMethod } from '../../src/stun/constants.js';
import { longTermKey, shortTermKey } from '../../src/stun/integrity.js';
import { StunMessage } from '../../src/stun/message.js';
import { Prng } from '../sim/network.js';

const KEY = shortTermKey('fuzz-password');
const TURN_KEY = longTermKey('user', 'realm', 'pass');

/** Valid messages that between them carry every attribute kind ICE and TURN use. */
function corpus(): Uint8Array[] {
  const v4 = { address: '192.0.2.1', port: 32853 };
  const v6 = { address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 };
  const ice = new StunMessage(StunMethod.Binding, 'request')
    .setUsername('evtj:h6vY')
    .setSoftware('fuzz')
    .setPriority(0x6e0001ff)
    .setIceControlling(0x932ff9b151263b36n)
    .setUseCandidate();
  const iceControlled = new StunMessage(StunMethod.Binding, 'request').setIceControlled(1n).setPriority(1);
  const success = new StunMessage(StunMethod.Binding, 'success')
    .setXorMappedAddress(v4)
    .setMappedAddress(v6)
    .setSoftware('test vector');
  const success6 = new StunMessage(StunMethod.Binding, 'success')
    .setXorMappedAddress(v6)
    .setMappedAddress(v4);
  const error = new StunMessage(StunMethod.Allocate, 'error')
    .setErrorCode(420)
    .setUnknownAttributes([0x0031, 0x7fff])
    .setRealm('example.org')
    .setNonce('f//499k954d6OL34oL9FSTvy64sA')
    .setAlternateServer(v4);
  const allocate = new StunMessage(StunMethod.Allocate, 'success')
    .setXorRelayedAddress(v4)
    .setXorMappedAddress(v6)
    .setLifetime(600)
    .setRequestedTransport(17);
  const channel = new StunMessage(StunMethod.ChannelBind, 'request')
    .setChannelNumber(0x4001)
    .setXorPeerAddress(v6);
  const data = new StunMessage(StunMethod.Data, 'indication')
    .setXorPeerAddress(v4)
    .setData(new Uint8Array(37).fill(9));
  const unknown = new StunMessage(StunMethod.Binding, 'request').add(0x0031, new Uint8Array(5)).add(0xc001);
  return [
    ice.serialize({ integrityKey: KEY, fingerprint: true }),
    ice.serialize({ integrityKey: KEY, integritySha256Key: KEY, fingerprint: true }),
    iceControlled.serialize({ fingerprint: true }),
    success.serialize({ integrityKey: KEY, fingerprint: true }),
    success6.serialize(),
    error.serialize({ fingerprint: true }),
    allocate.serialize({ integrityKey: TURN_KEY, fingerprint: true }),
    channel.serialize({ integrityKey: TURN_KEY }),
    data.serialize(),
    unknown.serialize({ fingerprint: true }),
  ];
}

/** Make the header length agree with the size, so the mutation reaches the attribute parser. */
function fixHeaderLength(b: Uint8Array): void {
  if (b.byteLength >= 20) {
    const len = b.byteLength - 20;
    b[2] = (len >> 8) & 0xff;
    b[3] = len & 0xff;
  }
}

function mutate(rng: Prng, source: Uint8Array): Uint8Array {
  let b = source.slice();
  const kind = rng.int(6);
  if (kind === 0) {
    for (let i = 0, n = 1 + rng.int(4); i < n; i++) b[rng.int(b.byteLength)]! ^= 1 << rng.int(8);
  } else if (kind === 1) {
    for (let i = 0, n = 1 + rng.int(8); i < n; i++) b[20 + rng.int(b.byteLength - 20)] = rng.int(256);
  } else if (kind === 2) {
    b = b.slice(0, 20 + ((rng.int(b.byteLength - 19) >> 2) << 2)); // truncated attributes, length fixed
    fixHeaderLength(b);
  } else if (kind === 3) {
    // An attribute length that lies: walk to a random attribute header and rewrite its length.
    let at = 20;
    for (let hops = rng.int(6); hops > 0 && at + 4 <= b.byteLength; hops--) {
      at += 4 + ((((b[at + 2]! << 8) | b[at + 3]!) + 3) & ~3);
    }
    if (at + 4 <= b.byteLength) {
      const lie = rng.next() < 0.5 ? rng.int(0x10000) : rng.int(64);
      b[at + 2] = lie >> 8;
      b[at + 3] = lie & 0xff;
    }
  } else if (kind === 4) {
    const extra = new Uint8Array(4 * rng.int(16)).map(() => rng.int(256));
    b = new Uint8Array([...b, ...extra]);
    fixHeaderLength(b);
  } else {
    b = b.slice(0, rng.int(b.byteLength + 1)); // plain truncation, header not fixed
  }
  if (rng.next() < 0.3) fixHeaderLength(b);
  return b;
}

const KNOWN = [...KNOWN_ATTRIBUTES];

/**
 * Structure-aware: a well-formed message whose attributes are valid types with values of the wrong size
 * (truncated, empty, or overlong), so that the typed getters meet them rather than the framing checks.
 */
function wrongSizedAttributes(rng: Prng, source: Uint8Array): Uint8Array {
  const original = StunMessage.parse(source);
  const msg = new StunMessage(original.method, original.messageClass, original.transactionId);
  for (const a of original.attributes) {
    const value = rng.next() < 0.5 ? a.value.subarray(0, rng.int(a.value.byteLength + 1)) : a.value;
    msg.add(a.type, value);
  }
  for (let i = 0, n = rng.int(3); i < n; i++) {
    msg.add(
      KNOWN[rng.int(KNOWN.length)]!,
      new Uint8Array(rng.int(24)).map(() => rng.int(256)),
    );
  }
  return msg.serialize();
}

function randomDatagram(rng: Prng): Uint8Array {
  const b = new Uint8Array(rng.int(400)).map(() => rng.int(256));
  if (b.byteLength >= 20 && rng.next() < 0.7) {
    // A plausible header: top bits clear, the magic cookie, a length that matches.
    b[0]! &= 0x3f;
    b.set([0x21, 0x12, 0xa4, 0x42], 4);
    const trimmed = b.slice(0, b.byteLength & ~3);
    fixHeaderLength(trimmed);
    return trimmed;
  }
  return b;
}

/** Touch every typed getter; each may only throw StunParseError. */
function exercise(msg: StunMessage): void {
  const getters: (() => unknown)[] = [
    () => msg.username,
    () => msg.realm,
    () => msg.nonce,
    () => msg.software,
    () => msg.errorCode,
    () => msg.unknownAttributes,
    () => msg.mappedAddress,
    () => msg.alternateServer,
    () => msg.xorMappedAddress,
    () => msg.xorRelayedAddress,
    () => msg.xorRelayedAddresses,
    () => msg.xorPeerAddress,
    () => msg.xorPeerAddresses,
    () => msg.priority,
    () => msg.lifetime,
    () => msg.channelNumber,
    () => msg.requestedTransport,
    () => msg.useCandidate,
    () => msg.iceControlling,
    () => msg.iceControlled,
    () => msg.data,
    () => msg.unknownComprehensionRequired(),
  ];
  for (const get of getters) {
    try {
      get();
    } catch (err) {
      assert.ok(err instanceof StunParseError, `${get.toString()} threw ${(err as Error).name}`);
    }
  }
  assert.equal(typeof msg.verifyIntegrity(KEY), 'boolean');
  assert.equal(typeof msg.verifyIntegritySha256(KEY), 'boolean');
  assert.equal(typeof msg.verifyFingerprint(), 'boolean');
}

function parseOrStunError(b: Uint8Array): StunMessage | undefined {
  try {
    return StunMessage.parse(b);
  } catch (err) {
    assert.ok(err instanceof StunParseError, `parse threw ${(err as Error).name}: ${(err as Error).message}`);
    return undefined;
  }
}

describe('STUN fuzz', () => {
  const valid = corpus();

  it('the corpus itself parses and verifies', () => {
    for (const b of valid) exercise(StunMessage.parse(b));
    assert.ok(StunMessage.parse(valid[0]!).verifyIntegrity(KEY));
    assert.ok(StunMessage.parse(valid[0]!).verifyFingerprint());
  });

  it('parse() returns or throws StunParseError on 30,000 mutated and random datagrams', () => {
    const rng = new Prng(0x5eed);
    let parsed = 0;
    for (let i = 0; i < 30_000; i++) {
      const b = i % 3 === 2 ? randomDatagram(rng) : mutate(rng, valid[rng.int(valid.length)]!);
      if (parseOrStunError(b)) parsed++;
    }
    assert.ok(parsed > 3_000, `only ${parsed} inputs got past the header: the fuzzer is too shallow`);
  });

  it('typed getters throw only StunParseError on mutated messages', () => {
    const rng = new Prng(0xbad);
    const offenders = new Map<string, number>();
    for (let i = 0; i < 30_000; i++) {
      const source = valid[rng.int(valid.length)]!;
      const msg = StunMessage.tryParse(i % 2 ? mutate(rng, source) : wrongSizedAttributes(rng, source));
      if (!msg) continue;
      try {
        exercise(msg);
      } catch (err) {
        const key = (err as Error).message;
        offenders.set(key, (offenders.get(key) ?? 0) + 1);
      }
    }
    assert.deepEqual([...offenders], [], 'getters threw something other than StunParseError');
  });

  it('ChannelData parsing never throws and never reads past the input', () => {
    const rng = new Prng(77);
    for (let i = 0; i < 20_000; i++) {
      const b = new Uint8Array(rng.int(80)).map(() => rng.int(256));
      if (b.byteLength > 0 && rng.next() < 0.8) b[0] = 0x40 + rng.int(16);
      const m = parseChannelData(b);
      if (m) assert.ok(m.data.byteLength <= b.byteLength - 4);
    }
  });
});

describe('TURN client fed garbage', () => {
  const server = { address: '127.0.0.1', port: 3478 };

  function allocatedClient(transport: 'udp' | 'tcp'): { client: TurnClient; now: number } {
    // Walk one client through 401 → Allocate success with a scripted server.
    const client = new TurnClient({ server, transport, username: 'user', credential: 'pass' });
    let now = 0;
    client.allocate(now);
    const first = StunMessage.parse(client.pollTransmit()!.data);
    const challenge = first.createResponse('error').setErrorCode(401).setRealm('realm').setNonce('n1');
    client.handleInput(++now, challenge.serialize());
    const second = StunMessage.parse(client.pollTransmit()!.data);
    const ok = second
      .createResponse('success')
      .setXorRelayedAddress({ address: '127.0.0.1', port: 50000 })
      .setXorMappedAddress({ address: '127.0.0.1', port: 40000 })
      .setLifetime(600);
    client.handleInput(++now, ok.serialize({ integrityKey: TURN_KEY, fingerprint: true }));
    assert.equal(client.state, 'allocated');
    while (client.pollEvent());
    return { client, now };
  }

  it('UDP: handleInput never throws, sends nothing, keeps nothing, stays allocated', () => {
    const { client, now } = allocatedClient('udp');
    const rng = new Prng(2024);
    const valid = corpus();
    let events = 0;
    for (let i = 0; i < 20_000; i++) {
      const source = valid[rng.int(valid.length)]!;
      const pick = rng.int(3);
      const b =
        pick === 0
          ? randomDatagram(rng)
          : pick === 1
            ? mutate(rng, source)
            : wrongSizedAttributes(rng, source);
      if (rng.next() < 0.2 && b.byteLength > 0) b[0] = 0x40 + rng.int(16); // as ChannelData
      assert.doesNotThrow(() => client.handleInput(now, b));
      assert.equal(client.pollTransmit(), undefined, 'garbage must not make the client send');
      for (let e = client.pollEvent(); e; e = client.pollEvent()) {
        assert.equal(e.type, 'data', `garbage produced a ${e.type} event`);
        events++;
      }
    }
    assert.equal(client.state, 'allocated');
    const s = client.stats;
    assert.ok(s.malformed + s.unmatched + s.unknownChannel > 15_000, JSON.stringify(s));
    assert.ok(events < 2_000, `${events} data events from garbage`);
  });

  it('TCP: a garbage stream fails the allocation cleanly and buffers at most one frame', () => {
    const rng = new Prng(99);
    for (let round = 0; round < 200; round++) {
      const { client, now } = allocatedClient('tcp');
      for (let i = 0; i < 20 && client.state === 'allocated'; i++) {
        const chunk = new Uint8Array(1 + rng.int(300)).map(() => rng.int(256));
        if (rng.next() < 0.5) chunk[0] = rng.next() < 0.5 ? 0x40 : 0x01;
        assert.doesNotThrow(() => client.handleInput(now, chunk));
      }
      assert.ok(client.state === 'allocated' || client.state === 'failed');
      for (let e = client.pollEvent(); e; e = client.pollEvent()) {
        assert.ok(e.type === 'data' || (e.type === 'error' && e.code === 701), JSON.stringify(e));
      }
    }
  });
});
