/**
 * NACK → retransmission under loss: on the RTX SSRC and payload type with the original sequence number
 * when RTX is negotiated (RFC 4588), as the very same bytes otherwise; nothing when NACK is not negotiated.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../../src/common/bytes.js';
import { isRtcp } from '../../../src/rtp/packet.js';
import { codec, frameIndex, pair, type SectionSpec, sameBytes, tap, vp8Frame } from './harness.js';

/** 30 frames/s of synthetic VP8; a keyframe follows each keyframe request, as an encoder would. */
function sendVideo(p: ReturnType<typeof pair>, frames: number, size = 3000): Set<number> {
  const keyframes = new Set<number>([0]);
  let i = 0;
  let answered = 0;
  p.a.schedule(
    0,
    (now) => {
      const requests = p.a.of('keyframe-request').length;
      if (requests > answered) keyframes.add(i);
      answered = requests;
      if (i < frames) p.a.session.writeFrame(now, 'v', undefined, vp8Frame(i, size, keyframes.has(i)));
      i++;
    },
    33,
  );
  return keyframes;
}

/** Frames arrive in order with their content; returns how many. */
function checkFrames(p: ReturnType<typeof pair>, keyframes: Set<number>, size = 3000): number {
  const got = p.b.of('frame');
  let previous = -1;
  for (const f of got) {
    const i = frameIndex(f.frame.data);
    assert.ok(i > previous, 'i > previous');
    previous = i;
    sameBytes(f.frame.data, vp8Frame(i, size, keyframes.has(i)).data, `frame ${i}`);
  }
  return got.length;
}

describe('NACK and retransmission', () => {
  it('repairs losses with RTX: RTX SSRC and payload type, the OSN first, its own sequence space', () => {
    const spec: SectionSpec = {
      mid: 'v',
      kind: 'video',
      codecs: [codec('vp8', 96, { nack: true, pli: true }, 97)],
      a: [{ ssrc: 100, rtxSsrc: 101 }],
    };
    const p = pair([spec]);
    const dropped = new Set<number>();
    let media = 0;
    const wire = tap(p, 'a', (data) => {
      if (isRtcp(data) || data[8] !== 0 || data[11] !== 100) return false; // only media SSRC 100
      const seq = (data[2]! << 8) | data[3]!;
      if (dropped.has(seq)) return false;
      if (++media % 5 === 0 && media < 150) {
        dropped.add(seq);
        return true; // the first transmission of every fifth media packet is lost
      }
      return false;
    });
    const feedback = tap(p, 'b');
    const keyframes = sendVideo(p, 60);
    p.net.runFor(3000);
    assert.equal(checkFrames(p, keyframes), 60);
    assert.equal(keyframes.size, 1); // every loss repaired: no keyframe needed
    const rtx = wire.rtp.filter((r) => r.ssrc === 101);
    assert.equal(rtx.length, dropped.size);
    const osns = rtx.map((r) => {
      assert.equal(r.payloadType, 97);
      return (r.payload[0]! << 8) | r.payload[1]!;
    });
    assert.deepEqual(new Set(osns), dropped);
    for (let i = 1; i < rtx.length; i++)
      assert.equal(rtx[i]!.sequenceNumber, (rtx[0]!.sequenceNumber + i) & 0xffff);
    const nacks = feedback.rtcpOf('nack');
    assert.ok(nacks.length > 0, 'nacks.length > 0');
    assert.deepEqual(new Set(nacks.flatMap((n) => n.lost)), dropped);
    const sent = p.a.session.getStats(p.net.now).outbound[0]!;
    assert.equal(sent.retransmittedPacketsSent, dropped.size);
    assert.equal(sent.nack.packetsResent, dropped.size);
    const received = p.b.session.getStats(p.net.now).inbound[0]!;
    assert.equal(received.rtxPacketsReceived, dropped.size);
    assert.equal(received.rtxSsrc, 101);
    assert.equal(received.nackedSequenceNumbers, dropped.size);
    assert.equal(received.packetsLost, dropped.size); // RTX repairs do not count as media-SSRC receptions
  });

  it('retransmits the same bytes on the media SSRC when RTX is not negotiated', () => {
    const p = pair([
      {
        mid: 'v',
        kind: 'video',
        codecs: [codec('vp8', 96, { nack: true })],
        a: [{ ssrc: 100, rtxSsrc: 101 }],
      },
    ]);
    const seen = new Map<number, string[]>();
    let media = 0;
    tap(p, 'a', (data) => {
      if (isRtcp(data)) return false;
      const seq = (data[2]! << 8) | data[3]!;
      const list = seen.get(seq) ?? [];
      list.push(toHex(data));
      seen.set(seq, list);
      return list.length === 1 && ++media % 4 === 0 && media < 100;
    });
    const keyframes = sendVideo(p, 40);
    p.net.runFor(2500);
    assert.equal(checkFrames(p, keyframes), 40);
    const repeated = [...seen.values()].filter((l) => l.length > 1);
    assert.equal(repeated.length, 24);
    // byte-identical: the same SRTP index never protects two different headers (AES-GCM nonce reuse)
    for (const l of repeated) for (const copy of l) assert.equal(copy, l[0]);
    assert.equal(p.b.session.getStats(p.net.now).inbound[0]!.rtxPacketsReceived, 0);
  });

  for (const profileId of [1, 7]) {
    it(`delivers every frame under 10 % random loss both ways (SRTP profile ${profileId})`, () => {
      const p = pair(
        [
          {
            mid: 'v',
            kind: 'video',
            codecs: [codec('vp8', 96, { nack: true, pli: true }, 97)],
            a: [{ ssrc: 5, rtxSsrc: 6 }],
          },
        ],
        { conditions: { loss: 0.1, delay: 20 }, seed: 3, profileId },
      );
      const keyframes = sendVideo(p, 150);
      p.net.runFor(7000);
      // a packet whose NACK or retransmission is lost three times is given up: a keyframe recovers
      const delivered = checkFrames(p, keyframes);
      assert.ok(delivered >= 140, `${delivered} of 150 frames`);
      const stats = p.a.session.getStats(p.net.now).outbound[0]!;
      assert.ok(stats.retransmittedPacketsSent > 20, 'stats.retransmittedPacketsSent > 20');
      const received = p.b.session.getStats(p.net.now).inbound[0]!;
      assert.ok(received.rtxPacketsReceived > 20, 'received.rtxPacketsReceived > 20');
      assert.equal(p.b.session.getStats(p.net.now).counters.internalErrors, 0);
    });
  }

  it('sends no NACK and no retransmission when NACK is not negotiated', () => {
    const p = pair(
      [
        {
          mid: 'v',
          kind: 'video',
          codecs: [codec('vp8', 96, { pli: true }, 97)],
          a: [{ ssrc: 5, rtxSsrc: 6 }],
        },
      ],
      {
        conditions: { loss: 0.1 },
      },
    );
    const feedback = tap(p, 'b');
    const keyframes = sendVideo(p, 60);
    p.net.runFor(3000);
    checkFrames(p, keyframes);
    assert.equal(feedback.rtcpOf('nack').length, 0);
    assert.equal(p.a.session.getStats(p.net.now).outbound[0]!.retransmittedPacketsSent, 0);
    assert.ok(p.b.of('frame').length < 60, "p.b.of('frame').length < 60");
  });
});
