/**
 * Reduced-size RTCP (RFC 5506): feedback goes alone when a=rtcp-rsize was negotiated, and inside a
 * compound (RR + SDES first, RFC 3550 §6.1) when it was not; reports are compound either way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRtcp } from '../../../src/rtp/packet.js';
import { codec, pair, tap, videoSource } from './harness.js';

function run(reducedSize: boolean) {
  const p = pair([
    {
      mid: 'v',
      kind: 'video',
      codecs: [codec('vp8', 96, { nack: true, pli: true }, 97)],
      a: [{ ssrc: 1, rtxSsrc: 2 }],
      reducedSize,
    },
  ]);
  let media = 0;
  tap(p, 'a', (data) => !isRtcp(data) && (data[1]! & 0x7f) === 96 && ++media % 7 === 0 && media < 120);
  const feedback = tap(p, 'b');
  videoSource(p.a, 'v', { size: 2500 });
  p.b.schedule(1500, (now) => p.b.session.requestKeyframe(now, 'v'));
  p.net.runFor(2500);
  return { p, feedback };
}

describe('reduced-size RTCP', () => {
  it('sends NACK and PLI alone when reduced-size was negotiated', () => {
    const { p, feedback } = run(true);
    const nackDatagrams = feedback.rtcp.filter((d) => d.packets.some((x) => x.type === 'nack'));
    assert.ok(nackDatagrams.length >= 5, 'nackDatagrams.length >= 5');
    for (const d of nackDatagrams)
      assert.deepEqual(
        d.packets.map((x) => x.type),
        ['nack'],
      );
    const pli = feedback.rtcp.filter((d) => d.packets.some((x) => x.type === 'pli'));
    assert.deepEqual(
      pli.map((d) => d.packets.map((x) => x.type)),
      [['pli']],
    );
    // reports stay compound: a report first, SDES after
    const reports = feedback.rtcp.filter(
      (d) => d.packets[0]!.type === 'rr' && d.packets[0]!.reports.length > 0,
    );
    assert.ok(
      reports.length >= 1 && reports.every((d) => d.packets[1]!.type === 'sdes'),
      'reports.length >= 1 && reports.every((d) => d.packets[1]!.type === ...',
    );
    assert.equal(
      p.a.session.getStats(p.net.now).outbound[0]!.retransmittedPacketsSent,
      nackDatagrams.flatMap((d) => d.packets).length,
    );
  });

  it('puts feedback in a compound after RR and SDES when it was not', () => {
    const { p, feedback } = run(false);
    const nackDatagrams = feedback.rtcp.filter((d) => d.packets.some((x) => x.type === 'nack'));
    assert.ok(nackDatagrams.length >= 5, 'nackDatagrams.length >= 5');
    for (const d of [
      ...nackDatagrams,
      ...feedback.rtcp.filter((x) => x.packets.some((y) => y.type === 'pli')),
    ]) {
      const types = d.packets.map((x) => x.type);
      assert.equal(types[0], 'rr');
      assert.equal(types[1], 'sdes');
      assert.ok(
        types.slice(2).every((t) => t === 'nack' || t === 'pli'),
        "types.slice(2).every((t) => t === 'nack' || t === 'pli')",
      );
    }
    // the sender understands both forms: every loss was repaired
    assert.equal(p.b.of('frame').length, p.a.session.getStats(p.net.now).outbound[0]!.framesSent);
  });
});
