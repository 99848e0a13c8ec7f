import { it } from 'node:test';
import { RtpPacket } from '../../../src/rtp/packet.js';
import { codec, injector, pair, type SectionSpec, videoSource } from './harness.js';

const SECTIONS: SectionSpec[] = [
  {
    mid: 'a',
    kind: 'audio',
    codecs: [codec('opus', 111, { transportCc: true })],
    a: [{ ssrc: 10 }],
    b: [{ ssrc: 20 }],
  },
  {
    mid: 'v',
    kind: 'video',
    codecs: [codec('vp8', 96, { nack: true, pli: true, fir: true, remb: true, transportCc: true }, 97)],
    a: [{ ssrc: 30, rtxSsrc: 31 }],
    b: [{ ssrc: 40, rtxSsrc: 41 }],
  },
];
it('dbg', () => {
  const p = pair(SECTIONS);
  videoSource(p.a, 'v', { size: 2000 });
  videoSource(p.b, 'v', { size: 2000 });
  p.net.runFor(500);
  const peer = injector(p.keys.a);
  for (const [seq, ts] of [
    [30000, 5],
    [1, 0x80000000],
    [65535, 0xffffffff],
    [12345, 42],
  ]) {
    p.b.session.handleDatagram(
      p.net.now,
      peer.rtp(
        new RtpPacket({
          payloadType: 96,
          sequenceNumber: seq,
          timestamp: ts,
          ssrc: 30,
          payload: new Uint8Array(50).fill(1),
        }),
      ),
    );
  }
  for (let k = 0; k < 30; k++) {
    const t = performance.now();
    p.net.runFor(100);
    console.log(
      k,
      performance.now() - t,
      p.net.stats.sent,
      p.net.now,
      JSON.stringify(p.b.session.getStats(p.net.now).sizes),
    );
  }
});
