/**
 * Interop with libsrtp 2 (the reference): for every profile, packets tsrtc protects libsrtp unprotects and
 * packets libsrtp protects tsrtc unprotects, for SRTP across a sequence-number wrap and for SRTCP.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { concatBytes, toHex } from '../../src/common/bytes.js';
import { RtpPacket } from '../../src/rtp/packet.js';
import { serializeRtcp } from '../../src/rtp/rtcp/index.js';
import { SRTP_PROFILES, type SrtpProfileName, SrtpSession } from '../../src/srtp/index.js';
import { buildSrtpTool, runSrtpTool } from './libsrtp.js';

let tool: string | undefined;
let skipReason: string | undefined;

before(() => {
  const built = buildSrtpTool();
  if ('missing' in built) {
    if (process.env.CI) throw new Error(`libsrtp interop cannot run in CI: ${built.missing}`);
    skipReason = built.missing;
  } else tool = built.path;
});

/** RTP packets from seq 65486 across the wrap, with CSRCs, extensions, padding and varied sizes. */
function rtpStream(ssrc: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i < 120; i++) {
    const seq = (65486 + i) & 0xffff;
    const size = [0, 1, 17, 160, 500, 520, 1200][i % 7]!;
    packets.push(
      new RtpPacket({
        payloadType: 96 + (i % 3),
        sequenceNumber: seq,
        timestamp: i * 3000,
        ssrc,
        marker: i % 7 === 0,
        csrcs: i % 4 === 0 ? [1, 2] : [],
        extensions: i % 2 ? [{ id: 3, data: Uint8Array.of(i & 0xff, 9) }] : [],
        padding: i % 9 === 0 ? 4 : 0,
        payload: randomBytes(size),
      }).serialize(),
    );
  }
  return packets;
}

function rtcpStream(ssrc: number): Uint8Array[] {
  return Array.from({ length: 20 }, (_, i) =>
    serializeRtcp([
      {
        type: 'sr',
        ssrc,
        ntpSeconds: i,
        ntpFraction: 0,
        rtpTimestamp: i * 90000,
        packetCount: i,
        octetCount: i * 1000,
        reports: [],
      },
      { type: 'sdes', chunks: [{ source: ssrc, items: [{ type: 1, value: `cname-${i}` }] }] },
      ...(i % 2 ? [{ type: 'pli' as const, senderSsrc: ssrc, mediaSsrc: 5 }] : []),
    ]),
  );
}

for (const profile of Object.keys(SRTP_PROFILES) as SrtpProfileName[]) {
  describe(`libsrtp interop: ${profile}`, () => {
    const p = SRTP_PROFILES[profile];
    const ourKey = randomBytes(p.masterKeyLength);
    const ourSalt = randomBytes(p.masterSaltLength);
    const theirKey = randomBytes(p.masterKeyLength);
    const theirSalt = randomBytes(p.masterSaltLength);
    const session = () =>
      new SrtpSession({
        profile,
        localMasterKey: ourKey,
        localMasterSalt: ourSalt,
        remoteMasterKey: theirKey,
        remoteMasterSalt: theirSalt,
      });

    it('libsrtp unprotects our SRTP (across a sequence wrap) byte for byte', (t) => {
      if (!tool) return t.skip(skipReason);
      const ours = session();
      const plain = rtpStream(0xa1b2c3d4);
      const protectedPackets = plain.map((pkt) => ours.protectRtp(pkt));
      // libsrtp's protect of the same packets with the same key must give identical bytes
      const reference = runSrtpTool(tool, 'protect', 'rtp', profile, concatBytes([ourKey, ourSalt]), plain);
      assert.deepEqual(
        protectedPackets.map((b) => toHex(b)),
        reference.map((r) => toHex(r!)),
      );
      const back = runSrtpTool(
        tool,
        'unprotect',
        'rtp',
        profile,
        concatBytes([ourKey, ourSalt]),
        protectedPackets,
      );
      assert.deepEqual(
        back.map((b) => (b ? toHex(b) : 'rejected')),
        plain.map((b) => toHex(b)),
      );
    });

    it('we unprotect libsrtp SRTP (across a sequence wrap) and drop a forged copy', (t) => {
      if (!tool) return t.skip(skipReason);
      const ours = session();
      const plain = rtpStream(0x0badcafe);
      const theirs = runSrtpTool(tool, 'protect', 'rtp', profile, concatBytes([theirKey, theirSalt]), plain);
      const held = theirs.pop()!; // kept back to forge before it is ever seen
      for (const [i, pkt] of theirs.entries()) {
        assert.ok(pkt, `libsrtp protected packet ${i}`);
        const back = ours.unprotectRtp(pkt);
        assert.equal(back && toHex(back), toHex(plain[i]!), `packet ${i}`);
      }
      if (p.aead) {
        // the native GCM engine (used above 1,500 bytes by default) must agree with libsrtp too
        const native = new SrtpSession({
          profile,
          localMasterKey: ourKey,
          localMasterSalt: ourSalt,
          remoteMasterKey: theirKey,
          remoteMasterSalt: theirSalt,
          gcmJsMaxLength: 0,
        });
        const again = runSrtpTool(tool, 'protect', 'rtp', profile, concatBytes([theirKey, theirSalt]), plain);
        for (const [i, pkt] of again.entries()) {
          assert.equal(
            toHex(native.unprotectRtp(pkt!) ?? new Uint8Array(0)),
            toHex(plain[i]!),
            `native ${i}`,
          );
        }
        const nativeOut = plain.map((pkt) => native.protectRtp(pkt));
        const check = runSrtpTool(
          tool,
          'unprotect',
          'rtp',
          profile,
          concatBytes([ourKey, ourSalt]),
          nativeOut,
        );
        assert.deepEqual(
          check.map((b) => (b ? toHex(b) : 'rejected')),
          plain.map((b) => toHex(b)),
        );
      }
      const forged = held.slice();
      forged[forged.byteLength - 2]! ^= 0x40;
      assert.equal(ours.unprotectRtp(forged), undefined);
      assert.equal(toHex(ours.unprotectRtp(held)!), toHex(plain[plain.length - 1]!));
      assert.equal(ours.stats.authFailures, 1);
    });

    it('SRTCP both ways', (t) => {
      if (!tool) return t.skip(skipReason);
      const ours = session();
      const plain = rtcpStream(0x5eed);
      const protectedPackets = plain.map((pkt) => ours.protectRtcp(pkt));
      const back = runSrtpTool(
        tool,
        'unprotect',
        'rtcp',
        profile,
        concatBytes([ourKey, ourSalt]),
        protectedPackets,
      );
      assert.deepEqual(
        back.map((b) => (b ? toHex(b) : 'rejected')),
        plain.map((b) => toHex(b)),
      );
      const theirs = runSrtpTool(tool, 'protect', 'rtcp', profile, concatBytes([theirKey, theirSalt]), plain);
      for (const [i, pkt] of theirs.entries()) {
        assert.ok(pkt);
        assert.equal(toHex(ours.unprotectRtcp(pkt) ?? new Uint8Array(0)), toHex(plain[i]!), `SRTCP ${i}`);
      }
      // replaying libsrtp's packets is refused
      assert.equal(ours.unprotectRtcp(theirs[3]!.slice()), undefined);
    });
  });
}
