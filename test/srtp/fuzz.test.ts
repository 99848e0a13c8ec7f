/**
 * Seeded fuzzing of SRTP/SRTCP unprotect: random and mutated packets never throw, never create per-SSRC
 * state, and every drop is counted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { RtpPacket } from '../../src/rtp/packet.js';
import { serializeRtcp } from '../../src/rtp/rtcp/index.js';
import { SRTP_PROFILES, type SrtpProfileName, SrtpSession } from '../../src/srtp/index.js';
import { Prng } from '../sim/network.js';

const ITERATIONS = 4_000;

function bytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

describe('fuzz SRTP unprotect', () => {
  for (const name of Object.keys(SRTP_PROFILES) as SrtpProfileName[]) {
    it(`${name}: random and mutated packets are dropped and counted`, () => {
      const rng = new Prng(0xf022 + SRTP_PROFILES[name].id);
      const p = SRTP_PROFILES[name];
      const keys = {
        localMasterKey: bytes(rng, p.masterKeyLength),
        localMasterSalt: bytes(rng, p.masterSaltLength),
        remoteMasterKey: bytes(rng, p.masterKeyLength),
        remoteMasterSalt: bytes(rng, p.masterSaltLength),
      };
      const sender = new SrtpSession({
        profile: name,
        localMasterKey: keys.remoteMasterKey,
        localMasterSalt: keys.remoteMasterSalt,
        remoteMasterKey: keys.localMasterKey,
        remoteMasterSalt: keys.localMasterSalt,
      });
      const receiver = new SrtpSession({ profile: name, ...keys });
      const rtpSeed = sender.protectRtp(
        new RtpPacket({
          payloadType: 96,
          sequenceNumber: 7,
          timestamp: 1,
          ssrc: 5,
          extensions: [{ id: 1, data: Uint8Array.of(1) }],
          payload: bytes(rng, 100),
        }).serialize(),
      );
      const rtcpSeed = sender.protectRtcp(serializeRtcp([{ type: 'pli', senderSsrc: 5, mediaSsrc: 6 }]));
      let dropped = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const rtcp = i % 2 === 1;
        const seed = rtcp ? rtcpSeed : rtpSeed;
        let data: Uint8Array;
        switch (rng.int(4)) {
          case 0:
            data = seed.slice(0, rng.int(seed.byteLength)); // truncated
            break;
          case 1: {
            data = seed.slice();
            data[rng.int(data.byteLength)]! ^= 1 << rng.int(8); // one bit flipped anywhere
            break;
          }
          case 2: {
            data = seed.slice();
            data[2 + rng.int(2)] = rng.int(256); // lying length / sequence fields
            data[0] = data[0]! | (rng.int(2) ? 0x10 : 0x20);
            break;
          }
          default:
            data = bytes(rng, rng.int(200));
            if (data.byteLength) data[0] = 0x80 | (data[0]! & 0x3f);
        }
        if (toHex(data) === toHex(seed)) continue; // the mutation happened to change nothing
        const out = rtcp ? receiver.unprotectRtcp(data) : receiver.unprotectRtp(data);
        assert.equal(out, undefined, `mutation ${i} was accepted`);
        dropped++;
      }
      const s = receiver.stats;
      assert.equal(s.authFailures + s.replayDrops + s.malformed, dropped);
      assert.equal(receiver.inbound.streamCount, 0, 'no state for unauthenticated input');
      // and the untouched originals still pass
      assert.ok(receiver.unprotectRtp(rtpSeed.slice()));
      assert.ok(receiver.unprotectRtcp(rtcpSeed.slice()));
    });
  }
});
