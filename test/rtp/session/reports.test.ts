/**
 * RTCP reports: sender reports with NTP and RTP time and counts, receiver report blocks with loss, jitter
 * and LSR/DLSR, the RTT computed from them, SDES CNAME, and the report intervals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unixMsFromNtp } from '../../../src/rtp/ntp.js';
import { Prng } from '../../sim/network.js';
import { codec, opusFrame, pair, tap, vp8Frame, WALL_A } from './harness.js';

const VIDEO = codec('vp8', 96, { pli: true });

function videoFrom(p: ReturnType<typeof pair>, size = 500): void {
  let i = 0;
  p.a.schedule(0, (now) => p.a.session.writeFrame(now, 'v', undefined, vp8Frame(i, size, i++ === 0)), 33);
}

describe('RTCP reports', () => {
  it('computes an RTT within a few ms of the link from LSR/DLSR', () => {
    for (const delay of [5, 25, 80]) {
      const p = pair([{ mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 1 }] }], {
        conditions: { delay },
      });
      videoFrom(p);
      p.net.runFor(6000);
      const remote = p.a.session.getStats(p.net.now).outbound[0]!.remote!;
      assert.ok(remote.roundTripTime !== undefined, 'remote.roundTripTime !== undefined');
      assert.ok(
        Math.abs(remote.roundTripTime - 2 * delay) < 2,
        `${remote.roundTripTime} ms for ${2 * delay}`,
      );
    }
  });

  it('sends sender reports with our wall clock, the matching RTP time and the counts; CNAME in SDES', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 1 }] }]);
    const wire = tap(p, 'a');
    videoFrom(p);
    p.net.runFor(5000);
    const srs = wire.rtcpOf('sr');
    assert.ok(srs.length >= 3 && srs.length <= 10, `${srs.length} SRs in 5 s`);
    const first = wire.rtp[0]!;
    for (const d of wire.rtcp.filter((x) => x.packets[0]!.type === 'sr')) {
      const sr = d.packets[0]!;
      assert.equal(sr.type, 'sr');
      if (sr.type !== 'sr') continue;
      const wall = unixMsFromNtp(sr.ntpSeconds, sr.ntpFraction);
      assert.ok(Math.abs(wall - (WALL_A + d.at)) < 0.01, 'Math.abs(wall - (WALL_A + d.at)) < 0.01');
      // frames are written every 33 ms at 3000 ticks: RTP time runs at 90 kHz from the first frame
      const ticks = (sr.rtpTimestamp - first.timestamp) >>> 0;
      const expected = (d.at / 33) * 3000;
      assert.ok(Math.abs(ticks - expected) < 3000, `${ticks} vs ${expected}`);
      const sent = wire.rtp.filter((r) => r.ssrc === 1).length;
      assert.ok(sr.packetCount <= sent && sr.packetCount > 0, 'sr.packetCount <= sent && sr.packetCount > 0');
      const sdes = d.packets.find((x) => x.type === 'sdes');
      assert.ok(
        sdes && sdes.type === 'sdes' && sdes.chunks[0]!.items[0]!.value === 'peer-a',
        "sdes && sdes.type === 'sdes' && sdes.chunks[0]!.items[0]!.value =...",
      );
    }
    assert.equal(p.b.session.getStats(p.net.now).inbound[0]!.cname, 'peer-a');
  });

  it('reports loss, jitter and LSR/DLSR in receiver report blocks', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 1 }] }], {
      conditions: { delay: 20, jitter: 12 },
    });
    const rng = new Prng(9);
    let dropped = 0;
    tap(p, 'a', (data) => {
      if ((data[1]! & 0x7f) === 96 && rng.next() < 0.1) {
        dropped++;
        return true;
      }
      return false;
    });
    const rr = tap(p, 'b');
    videoFrom(p);
    p.a.schedule(8000, () => p.a.stopActions());
    p.net.runFor(9500);
    const blocks = rr.rtcpOf('rr').flatMap((r) => r.reports);
    assert.ok(blocks.length >= 6, 'blocks.length >= 6');
    const last = blocks[blocks.length - 1]!;
    assert.equal(last.ssrc, 1);
    assert.equal(last.packetsLost, dropped);
    const meanFraction = blocks.reduce((n, b) => n + b.fractionLost, 0) / blocks.length / 256;
    assert.ok(meanFraction > 0.05 && meanFraction < 0.15, `mean fraction lost ${meanFraction}`);
    // uniform [0, 12) ms extra delay: E|D| = 4 ms → about 360 ticks at 90 kHz (the estimate is noisy)
    const jitterMs = (last.jitter / 90000) * 1000;
    assert.ok(jitterMs > 1.5 && jitterMs < 7, `jitter ${jitterMs} ms`);
    assert.ok(
      blocks.slice(2).every((b) => b.lastSr !== 0 && b.delaySinceLastSr < 65536 * 2),
      'blocks.slice(2).every((b) => b.lastSr !== 0 && b.delaySinceLastSr <...',
    );
    const stats = p.b.session.getStats(p.net.now).inbound[0]!;
    assert.equal(stats.packetsLost, dropped);
    assert.ok(Math.abs(stats.jitter * 1000 - jitterMs) < 3, 'Math.abs(stats.jitter * 1000 - jitterMs) < 3');
  });

  it('reports about every second with video and every five seconds with audio only', () => {
    const count = (kind: 'audio' | 'video'): number => {
      const p = pair([
        kind === 'audio'
          ? { mid: 'a', kind: 'audio', codecs: [codec('opus', 111)], a: [{ ssrc: 1 }] }
          : { mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 1 }] },
      ]);
      const wire = tap(p, 'a');
      let i = 0;
      p.a.schedule(
        0,
        (now) => {
          if (kind === 'audio') p.a.session.writeFrame(now, 'a', undefined, opusFrame(i++));
          else p.a.session.writeFrame(now, 'v', undefined, vp8Frame(i, 400, i++ === 0));
        },
        20,
      );
      p.net.runFor(60_000);
      return wire.rtcpOf('sr').length;
    };
    const video = count('video');
    const audio = count('audio');
    assert.ok(video >= 45 && video <= 75, `${video} video rounds in 60 s`);
    assert.ok(audio >= 9 && audio <= 15, `${audio} audio rounds in 60 s`);
  });

  it('a receive-only side sends receiver reports from its own SSRC', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 1 }] }]);
    const wire = tap(p, 'b');
    videoFrom(p);
    p.net.runFor(3000);
    const rrs = wire.rtcpOf('rr');
    assert.ok(rrs.length >= 2, 'rrs.length >= 2');
    assert.ok(
      rrs.every((r) => r.ssrc === p.b.session.receiverSsrc),
      'rrs.every((r) => r.ssrc === p.b.session.receiverSsrc)',
    );
    assert.equal(wire.rtcpOf('sr').length, 0);
  });
});
