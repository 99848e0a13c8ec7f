/**
 * SRTP contexts on the native engine against the TypeScript one, for every profile: protect returns the
 * same bytes, leaves the caller's packet untouched, and every output is memory of its own (outputs come
 * from slabs, and the native GCM path seals from the caller's packet straight into them); each engine's
 * inbound context opens the other's packets.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import type { CipherEngine } from '../../src/common/native.js';
import { SrtpContext } from '../../src/srtp/context.js';
import { SRTP_PROFILES, type SrtpProfileName } from '../../src/srtp/profiles.js';
import { Prng } from '../sim/network.js';
import { needsAddon } from './addon.js';

function rtpPacket(rng: Prng, ssrc: number, seq: number): Uint8Array {
  const cc = rng.int(3);
  const extWords = rng.int(3) === 0 ? -1 : rng.int(4);
  const headerLength = 12 + cc * 4 + (extWords >= 0 ? 4 + extWords * 4 : 0);
  const payload = [0, 1, 17, 160, 1200, 1400, 9000][rng.int(7)]! + rng.int(20);
  const packet = new Uint8Array(headerLength + payload);
  for (let i = 0; i < packet.length; i++) packet[i] = rng.int(256);
  packet[0] = 0x80 | cc | (extWords >= 0 ? 0x10 : 0);
  packet[2] = seq >>> 8;
  packet[3] = seq & 0xff;
  new DataView(packet.buffer).setUint32(8, ssrc);
  if (extWords >= 0) {
    const at = 12 + cc * 4;
    packet[at + 2] = 0;
    packet[at + 3] = extWords;
  }
  return packet;
}

function rtcpPacket(rng: Prng, ssrc: number): Uint8Array {
  const packet = randomBytes(8 + rng.int(300));
  packet[0] = 0x80 | (packet[0]! & 0x1f);
  new DataView(packet.buffer, packet.byteOffset).setUint32(4, ssrc);
  return new Uint8Array(packet);
}

describe('SRTP contexts: native and TypeScript engines', () => {
  for (const name of Object.keys(SRTP_PROFILES) as SrtpProfileName[]) {
    const p = SRTP_PROFILES[name];
    it(`${name}: same bytes, caller's packet untouched, outputs never share memory`, needsAddon, () => {
      const rng = new Prng(0x31 + p.id);
      const masterKey = randomBytes(p.masterKeyLength);
      const masterSalt = randomBytes(p.masterSaltLength);
      const make = (engine: CipherEngine, direction: 'inbound' | 'outbound', gcmJsMaxLength?: number) =>
        new SrtpContext({ profile: name, masterKey, masterSalt, engine, direction, gcmJsMaxLength });
      const native = make('native', 'outbound');
      const typescript = [
        make('typescript', 'outbound'),
        ...(p.aead ? [make('typescript', 'outbound', 0)] : []),
      ];
      const outputs: { bytes: Uint8Array; hex: string }[] = [];
      const plains: Uint8Array[] = [];
      for (let i = 0; i < 300; i++) {
        const rtcp = i % 10 === 9;
        const ssrc = [0x1234, 0xfeed_beef, 7][rng.int(3)]!;
        const packet = rtcp ? rtcpPacket(rng, ssrc) : rtpPacket(rng, ssrc, (i * 7) & 0xffff);
        const before = toHex(packet);
        const out = rtcp ? native.protectRtcp(packet) : native.protectRtp(packet);
        assert.equal(toHex(packet), before, `packet ${i} untouched by the native context`);
        const hex = toHex(out);
        for (const ts of typescript) {
          const theirs = rtcp ? ts.protectRtcp(packet) : ts.protectRtp(packet);
          assert.equal(toHex(theirs), hex, `packet ${i} (${rtcp ? 'RTCP' : 'RTP'}, ${packet.length} bytes)`);
          assert.equal(toHex(packet), before, `packet ${i} untouched by the TypeScript context`);
        }
        if (!rtcp) {
          outputs.push({ bytes: out, hex });
          plains.push(packet);
        }
      }
      // Later protects did not write into earlier outputs, and writing into one touches no other.
      for (const [i, o] of outputs.entries()) assert.equal(toHex(o.bytes), o.hex, `output ${i} kept`);
      for (const o of outputs) o.bytes.fill(0xee);
      for (const o of outputs) assert.ok(o.bytes.every((b) => b === 0xee));

      // Each engine's inbound context opens the other's packets (fresh copies of the recorded bytes).
      for (const engine of ['native', 'typescript'] as const) {
        const inbound = make(engine, 'inbound');
        for (const [i, o] of outputs.entries()) {
          const plain = inbound.unprotectRtp(Uint8Array.from(Buffer.from(o.hex, 'hex')));
          assert.ok(plain, `${engine} opens packet ${i}`);
          assert.equal(toHex(plain), toHex(plains[i]!));
        }
      }
    });
  }
});
