/** RFC 5769 (and RFC 8489 appendix B) test vectors, byte for byte. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/common/bytes.js';
import { StunAttr, StunMethod } from '../../src/stun/constants.js';
import { longTermKey, longTermKeySha256, shortTermKey } from '../../src/stun/integrity.js';
import { StunMessage } from '../../src/stun/message.js';

const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';
const TID = fromHex('b7e7a701bc34d686fa87dfae');

const SAMPLE_REQUEST = fromHex(`
  000100582112a442b7e7a701bc34d686fa87dfae
  80220010 5354554e207465737420636c69656e74
  00240004 6e0001ff
  80290008 932ff9b151263b36
  00060009 6576746a3a68367659202020
  00080014 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2
  80280004 e57a3bcf`);

const SAMPLE_IPV4_RESPONSE = fromHex(`
  0101003c2112a442b7e7a701bc34d686fa87dfae
  8022000b 7465737420766563746f7220
  00200008 0001a147e112a643
  00080014 2b91f599fd9e90c38c7489f92af9ba53f06be7d7
  80280004 c07d4c96`);

const SAMPLE_IPV6_RESPONSE = fromHex(`
  010100482112a442b7e7a701bc34d686fa87dfae
  8022000b 7465737420766563746f7220
  00200014 0002a1470113a9faa5d3f179bc25f4b5bed2b9d9
  00080014 a382954e4be67bf11784c97c8292c275bfe3ed41
  80280004 c8fb0b4c`);

const SAMPLE_LONG_TERM = fromHex(`
  000100602112a44278ad3433c6ad72c029da412e
  00060012 e3839ee38388e383aae38383e382afe382b90000
  0015001c 662f2f3439396b39353464364f4c33346f4c39465354767936347341
  0014000b 6578616d706c652e6f726700
  00080014 f67024656dd64a3e02b8e0712e85c9a28ca89666`);

const SAMPLE_LONG_TERM_SHA256 = fromHex(`
  000100882112a44278ad3433c6ad72c029da412e
  001e0020 4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704
  00150029 6f624d61744a6f73324141414366 2f2f3439396b39353464364f4c33346f4c39465354767936347341000000
  0014000b 6578616d706c652e6f726700
  001c0020 fd8c273860d2e18ebca4c89b6973befa7ee8ecc69e9642db326fab65a0b955ba`);

const USERNAME_LT = '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9';

describe('RFC 5769 test vectors', () => {
  it('2.1 sample request: parses, verifies and re-serializes byte for byte', () => {
    const m = StunMessage.parse(SAMPLE_REQUEST);
    assert.equal(m.method, StunMethod.Binding);
    assert.equal(m.messageClass, 'request');
    assert.equal(toHex(m.transactionId), toHex(TID));
    assert.equal(m.software, 'STUN test client');
    assert.equal(m.priority, 0x6e0001ff);
    assert.equal(m.iceControlled, 0x932ff9b151263b36n);
    assert.equal(m.username, 'evtj:h6vY');
    assert.ok(m.verifyIntegrity(shortTermKey(PASSWORD)));
    assert.ok(!m.verifyIntegrity(shortTermKey('wrong')));
    assert.ok(m.verifyFingerprint());

    const built = new StunMessage(StunMethod.Binding, 'request', TID)
      .setSoftware('STUN test client')
      .setPriority(0x6e0001ff)
      .setIceControlled(0x932ff9b151263b36n)
      .setUsername('evtj:h6vY');
    const bytes = built.serialize({
      integrityKey: shortTermKey(PASSWORD),
      fingerprint: true,
      paddingByte: 0x20,
    });
    assert.equal(toHex(bytes), toHex(SAMPLE_REQUEST));
  });

  it('2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853, byte for byte', () => {
    const m = StunMessage.parse(SAMPLE_IPV4_RESPONSE);
    assert.equal(m.messageClass, 'success');
    assert.deepEqual(m.xorMappedAddress, { address: '192.0.2.1', port: 32853 });
    assert.equal(m.software, 'test vector');
    assert.ok(m.verifyIntegrity(shortTermKey(PASSWORD)));
    assert.ok(m.verifyFingerprint());
    const built = new StunMessage(StunMethod.Binding, 'success', TID)
      .setSoftware('test vector')
      .setXorMappedAddress({ address: '192.0.2.1', port: 32853 });
    const bytes = built.serialize({
      integrityKey: shortTermKey(PASSWORD),
      fingerprint: true,
      paddingByte: 0x20,
    });
    assert.equal(toHex(bytes), toHex(SAMPLE_IPV4_RESPONSE));
  });

  it('2.3 IPv6 response: XOR-MAPPED-ADDRESS 2001:db8:1234:5678:11:2233:4455:6677, byte for byte', () => {
    const m = StunMessage.parse(SAMPLE_IPV6_RESPONSE);
    assert.deepEqual(m.xorMappedAddress, { address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
    assert.ok(m.verifyIntegrity(shortTermKey(PASSWORD)));
    assert.ok(m.verifyFingerprint());
    const built = new StunMessage(StunMethod.Binding, 'success', TID)
      .setSoftware('test vector')
      .setXorMappedAddress({ address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
    const bytes = built.serialize({
      integrityKey: shortTermKey(PASSWORD),
      fingerprint: true,
      paddingByte: 0x20,
    });
    assert.equal(toHex(bytes), toHex(SAMPLE_IPV6_RESPONSE));
  });

  it('2.4 long-term authentication: key MD5(user:realm:pass), byte for byte', () => {
    const m = StunMessage.parse(SAMPLE_LONG_TERM);
    assert.equal(m.username, USERNAME_LT);
    assert.equal(m.nonce, 'f//499k954d6OL34oL9FSTvy64sA');
    assert.equal(m.realm, 'example.org');
    const key = longTermKey(USERNAME_LT, 'example.org', 'TheMatrIX');
    assert.ok(m.verifyIntegrity(key));
    const built = new StunMessage(StunMethod.Binding, 'request', m.transactionId.slice())
      .setUsername(USERNAME_LT)
      .setNonce('f//499k954d6OL34oL9FSTvy64sA')
      .setRealm('example.org');
    assert.equal(toHex(built.serialize({ integrityKey: key })), toHex(SAMPLE_LONG_TERM));
  });

  it('RFC 8489 B.1: MESSAGE-INTEGRITY-SHA256 with USERHASH verifies', () => {
    const m = StunMessage.parse(SAMPLE_LONG_TERM_SHA256);
    assert.equal(m.realm, 'example.org');
    assert.equal(m.nonce, 'obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA');
    assert.equal(m.get(StunAttr.Userhash)?.byteLength, 32);
    // No PASSWORD-ALGORITHM attribute: the key uses the default algorithm, MD5 (RFC 8489 §18.5.1.1).
    assert.ok(m.verifyIntegritySha256(longTermKey(USERNAME_LT, 'example.org', 'TheMatrIX')));
    assert.ok(!m.verifyIntegritySha256(longTermKey(USERNAME_LT, 'example.org', 'TheMatrix')));
    assert.ok(!m.verifyIntegritySha256(longTermKeySha256(USERNAME_LT, 'example.org', 'TheMatrIX')));
  });
});

describe('STUN over Node Buffers', () => {
  it('verifies integrity and XOR addresses of a message inside a larger Buffer without touching it', () => {
    const pool = Buffer.alloc(SAMPLE_IPV4_RESPONSE.byteLength + 40, 0xee);
    pool.set(SAMPLE_IPV4_RESPONSE, 24);
    const view = pool.subarray(24, 24 + SAMPLE_IPV4_RESPONSE.byteLength);
    const before = Buffer.from(pool);
    const m = StunMessage.parse(view);
    assert.ok(m.verifyIntegrity(shortTermKey(PASSWORD)));
    assert.ok(m.verifyFingerprint());
    assert.deepEqual(m.xorMappedAddress, { address: '192.0.2.1', port: 32853 });
    assert.deepEqual(pool, before, 'parsing and verifying must not write into the datagram');
  });
});
