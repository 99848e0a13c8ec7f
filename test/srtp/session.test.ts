import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import {
  SRTP_PROFILES as SRTP_PROFILE_LIST,
  splitSrtpKeyingMaterial,
  srtpKeyingMaterialLength,
} from '../../src/dtls/srtp-profiles.js';
import { RtpPacket } from '../../src/rtp/packet.js';
import { serializeRtcp } from '../../src/rtp/rtcp/index.js';
import {
  estimateIndex,
  ReplayWindow,
  SRTP_PROFILES,
  type SrtpProfileName,
  SrtpSession,
  splitKeyingMaterial,
  srtpProfile,
} from '../../src/srtp/index.js';

function pair(profile: SrtpProfileName, options: { maxStreams?: number; replayWindowSize?: number } = {}) {
  const p = SRTP_PROFILES[profile];
  const material = randomBytes(2 * (p.masterKeyLength + p.masterSaltLength));
  const client = new SrtpSession({
    profile,
    ...splitKeyingMaterial(profile, material, 'client'),
    ...options,
  });
  const server = new SrtpSession({
    profile: p.id,
    ...splitKeyingMaterial(p.id, material, 'server'),
    ...options,
  });
  return { client, server, p, material };
}

function rtp(seq: number, ssrc = 0x1234, size = 160): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i + seq) & 0xff;
  return new RtpPacket({
    payloadType: 96,
    sequenceNumber: seq & 0xffff,
    timestamp: seq * 960,
    ssrc,
    csrcs: [7],
    extensions: [{ id: 1, data: Uint8Array.of(seq & 0xff) }],
    payload,
  }).serialize();
}

const PROFILES = Object.keys(SRTP_PROFILES) as SrtpProfileName[];

/** What `f` threw, or undefined. */
function attempt(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('SrtpSession', () => {
  for (const name of PROFILES) {
    describe(name, () => {
      it('round-trips RTP both ways, header in clear, payload encrypted, tag appended', () => {
        const { client, server, p } = pair(name);
        for (const size of [0, 1, 15, 16, 17, 160, 1200]) {
          const plain = rtp(size, 0x99, size);
          const protectedPacket = client.protectRtp(plain);
          assert.equal(protectedPacket.byteLength, plain.byteLength + p.rtpTagLength);
          const headerLength = plain.byteLength - size;
          assert.equal(
            toHex(protectedPacket.subarray(0, headerLength)),
            toHex(plain.subarray(0, headerLength)),
          );
          if (size >= 16)
            assert.notEqual(
              toHex(protectedPacket.subarray(headerLength, plain.byteLength)),
              toHex(plain.subarray(headerLength)),
            );
          const back = server.unprotectRtp(protectedPacket);
          assert.ok(back, `size ${size}`);
          assert.equal(toHex(back), toHex(plain));
          assert.equal(back.buffer, protectedPacket.buffer, 'decrypted in place');
          const reverse = client.unprotectRtp(server.protectRtp(plain));
          assert.equal(toHex(reverse!), toHex(plain));
        }
      });

      it('round-trips compound RTCP with the SRTCP index and E flag', () => {
        const { client, server, p } = pair(name);
        const compound = serializeRtcp([
          { type: 'rr', ssrc: 0x42, reports: [] },
          { type: 'sdes', chunks: [{ source: 0x42, items: [{ type: 1, value: 'cname' }] }] },
        ]);
        for (let i = 0; i < 3; i++) {
          const protectedPacket = client.protectRtcp(compound);
          assert.equal(protectedPacket.byteLength, compound.byteLength + p.rtcpTagLength + 4);
          const trailerAt = p.aead ? protectedPacket.byteLength - 4 : compound.byteLength;
          const trailer = new DataView(protectedPacket.buffer, protectedPacket.byteOffset).getUint32(
            trailerAt,
          );
          assert.equal(trailer, (0x80000000 | i) >>> 0, 'E flag set, index counts up');
          assert.equal(toHex(server.unprotectRtcp(protectedPacket)!), toHex(compound));
          assert.equal(server.unprotectRtcp(protectedPacket), undefined, 'replay');
        }
        assert.equal(server.stats.replayDrops, 3);
        assert.equal(server.stats.rtcpPackets, 3);
      });

      it('drops tampered, replayed, too-old and truncated packets and counts them', () => {
        const { client, server, p } = pair(name);
        const packets = Array.from({ length: 1100 }, (_, i) => client.protectRtp(rtp(i)));
        const copy = (b: Uint8Array) => b.slice();
        // deliver 1..1099 except 5 and 200; then 50 (replay), 200 (inside the window), 5 (too old)
        for (let i = 1; i < 1100; i++)
          if (i !== 5 && i !== 200) assert.ok(server.unprotectRtp(copy(packets[i]!)));
        assert.equal(server.unprotectRtp(copy(packets[50]!)), undefined, 'replay');
        assert.ok(server.unprotectRtp(copy(packets[200]!)), '900 behind, inside the 1024 window');
        assert.equal(server.unprotectRtp(copy(packets[5]!)), undefined, 'older than the window');
        const tampered = client.protectRtp(rtp(1500));
        tampered[tampered.byteLength - 1]! ^= 0x01;
        assert.equal(server.unprotectRtp(tampered), undefined);
        const tamperedHeader = client.protectRtp(rtp(2000));
        tamperedHeader[1]! ^= 0x01;
        assert.equal(server.unprotectRtp(tamperedHeader), undefined);
        assert.equal(server.unprotectRtp(packets[1]!.subarray(0, 12 + p.rtpTagLength - 1)), undefined);
        assert.equal(server.unprotectRtp(new Uint8Array(3)), undefined);
        assert.equal(server.unprotectRtcp(new Uint8Array(10)), undefined);
        const s = server.stats;
        assert.equal(s.replayDrops, 2);
        assert.equal(s.authFailures, 2);
        assert.equal(s.malformed, 3);
        assert.equal(s.rtpPackets, 1098);
      });

      it('follows the rollover counter across a sequence wrap with reordering', () => {
        const { client, server } = pair(name);
        const seqs: number[] = [];
        for (let s = 65500; s < 65536 + 100; s++) seqs.push(s);
        const protectedPackets = seqs.map((s) => client.protectRtp(rtp(s)));
        // swap neighbours across the wrap so packets of ROC 1 arrive before the last of ROC 0
        const order = seqs.map((_, i) => i);
        for (let i = 30; i < 60; i += 2) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
        for (const i of order) {
          const back = server.unprotectRtp(protectedPackets[i]!);
          assert.ok(back, `seq ${seqs[i]}`);
          assert.equal(RtpPacket.parse(back).sequenceNumber, seqs[i]! & 0xffff);
        }
        assert.equal(server.stats.authFailures, 0);
      });
    });
  }

  it('keeps inbound per-SSRC state bounded and evicts the least recently used', () => {
    const { client, server, material } = pair('AES_CM_128_HMAC_SHA1_80', { maxStreams: 4 });
    // the same keys as `client`, without its limit
    const sender = new SrtpSession({
      profile: 'AES_CM_128_HMAC_SHA1_80',
      ...splitKeyingMaterial('AES_CM_128_HMAC_SHA1_80', material, 'client'),
    });
    for (let ssrc = 1; ssrc <= 10; ssrc++) assert.ok(server.unprotectRtp(sender.protectRtp(rtp(1, ssrc))));
    assert.equal(server.inbound.streamCount, 4);
    assert.equal(server.stats.streamsEvicted, 6);
    // outbound state is never evicted: a sender limited to 4 SSRCs refuses the fifth instead
    for (let ssrc = 1; ssrc <= 4; ssrc++) client.protectRtp(rtp(1, ssrc));
    assert.throws(() => client.protectRtp(rtp(1, 5)), RangeError);
    assert.equal(client.outbound.streamCount, 4);
  });

  for (const name of ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] as const) {
    it(`${name}: never forgets outbound SRTP/SRTCP state (no keystream or nonce reuse)`, () => {
      // An outbound context that evicted its oldest SSRC would restart that SSRC's SRTCP index at 0 and its
      // ROC at 0: the next packets would be protected with keystream and nonces already used.
      const { client } = pair(name);
      const firstRtcp = client.protectRtcp(Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 1));
      const firstRtp = client.protectRtp(rtp(1, 1));
      for (let ssrc = 2; ssrc <= 1024; ssrc++) client.protectRtp(rtp(1, ssrc));
      assert.equal(client.outbound.streamCount, 1024);
      // a 1,025th sender SSRC under one key: refused loudly (it must not evict SSRC 1's state)
      const refusedRtp = attempt(() => client.protectRtp(rtp(1, 5000)));
      const refusedRtcp = attempt(() => client.protectRtcp(Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0x13, 0x88)));
      const againRtcp = client.protectRtcp(Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 1));
      assert.notEqual(toHex(againRtcp), toHex(firstRtcp), 'SRTCP index reused after eviction');
      assert.ok(refusedRtp instanceof RangeError);
      assert.ok(refusedRtcp instanceof RangeError);
      assert.equal(client.outbound.stats.streamsEvicted, 0);
      const againRtp = client.protectRtp(rtp(1, 1)); // same plain packet: same index is allowed, same bytes
      assert.equal(toHex(againRtp), toHex(firstRtp));
      // removing an outbound stream keeps its index bookkeeping: a later packet never reuses an index
      client.outbound.removeStream(1);
      const afterRemove = client.protectRtcp(Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 1));
      assert.notEqual(toHex(afterRemove), toHex(firstRtcp));
      assert.notEqual(toHex(afterRemove), toHex(againRtcp));
    });
  }

  it('creates no state for packets that fail authentication', () => {
    const { server } = pair('AEAD_AES_128_GCM');
    for (let ssrc = 1; ssrc <= 100; ssrc++) {
      const forged = new Uint8Array(rtp(1, ssrc).byteLength + 16);
      forged.set(rtp(1, ssrc));
      assert.equal(server.unprotectRtp(forged), undefined);
    }
    assert.equal(server.inbound.streamCount, 0);
    assert.equal(server.stats.authFailures, 100);
  });

  it("takes the DTLS layer's keying material and profile names directly", () => {
    for (const profile of SRTP_PROFILE_LIST) {
      const material = randomBytes(srtpKeyingMaterialLength(profile));
      const client = SrtpSession.fromDtls(splitSrtpKeyingMaterial(profile, material, true));
      const server = SrtpSession.fromDtls(splitSrtpKeyingMaterial(profile, material, false));
      assert.equal(client.profile.id, profile.id);
      assert.equal(srtpProfile(profile.name).id, profile.id);
      assert.equal(toHex(server.unprotectRtp(client.protectRtp(rtp(9)))!), toHex(rtp(9)));
      assert.equal(
        toHex(client.unprotectRtcp(server.protectRtcp(Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 1)))!),
        '80c9000100000001',
      );
    }
  });

  it('rejects wrong key sizes and unknown profiles', () => {
    assert.throws(
      () =>
        new SrtpSession({
          profile: 'AEAD_AES_256_GCM',
          localMasterKey: new Uint8Array(16),
          localMasterSalt: new Uint8Array(12),
          remoteMasterKey: new Uint8Array(32),
          remoteMasterSalt: new Uint8Array(12),
        }),
      RangeError,
    );
    assert.throws(() => pair('AES_CM_128_HMAC_SHA1_80').client.protectRtp(new Uint8Array(4)), TypeError);
    assert.throws(() => splitKeyingMaterial(99, new Uint8Array(60), 'client'), TypeError);
    assert.throws(() => srtpProfile('toString'), TypeError);
  });
});

describe('index estimation and replay window', () => {
  it('estimates the ROC as RFC 3711 appendix A', () => {
    assert.equal(estimateIndex(-1, 5), 5);
    assert.equal(estimateIndex(65535, 0), 65536);
    assert.equal(estimateIndex(65536, 65535), 65535);
    assert.equal(estimateIndex(3 * 65536 + 100, 65000), 2 * 65536 + 65000);
    assert.equal(estimateIndex(3 * 65536 + 40000, 100), 4 * 65536 + 100);
    assert.equal(estimateIndex(10, 60000), 60000 - 65536);
  });

  it('tracks a window of at least 1024 packets', () => {
    const w = new ReplayWindow(1024);
    w.update(5000);
    assert.equal(w.check(5000), false);
    assert.equal(w.check(5000 - 1023), true);
    assert.equal(w.check(5000 - 1024), false);
    w.update(4000);
    assert.equal(w.check(4000), false);
    w.update(7000);
    assert.equal(w.check(6000), true);
    assert.equal(w.check(5999), true);
    assert.equal(w.check(5976), false);
    assert.throws(() => new ReplayWindow(10), RangeError);
  });
});
