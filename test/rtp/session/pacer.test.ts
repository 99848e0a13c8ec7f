/**
 * The pacer: a large keyframe leaves over time at the pacing rate instead of in one burst; audio is not
 * held behind it; the queue is bounded. Also the Pacer on its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer } from '../../../src/rtp/pacer.js';
import { isRtcp } from '../../../src/rtp/packet.js';
import { codec, opusFrame, pair, vp8Frame } from './harness.js';

function sendTimes(p: ReturnType<typeof pair>): { at: number; size: number; pt: number }[] {
  const out: { at: number; size: number; pt: number }[] = [];
  p.net.tap = (d, now) => {
    if (d.source.address === p.a.address.address && !isRtcp(d.data))
      out.push({ at: now, size: d.data.byteLength, pt: d.data[1]! & 0x7f });
    return true;
  };
  return out;
}

describe('pacer', () => {
  it('spreads a 120 kB keyframe over time at the pacing rate', () => {
    const p = pair(
      [
        { mid: 'a', kind: 'audio', codecs: [codec('opus', 111)], a: [{ ssrc: 1 }] },
        { mid: 'v', kind: 'video', codecs: [codec('vp8', 96)], a: [{ ssrc: 2 }] },
      ],
      { a: { pacer: { rateBps: 8_000_000 } } },
    );
    const sent = sendTimes(p);
    p.a.schedule(100, (now) => {
      p.a.session.writeFrame(now, 'v', undefined, vp8Frame(0, 120_000, true));
      p.a.session.writeFrame(now, 'a', undefined, opusFrame(0));
    });
    p.net.runFor(500);
    const video = sent.filter((s) => s.pt === 96);
    assert.equal(video.length, 101);
    const bytes = video.reduce((n, s) => n + s.size, 0);
    const span = video[video.length - 1]!.at - video[0]!.at;
    // 8 Mbit/s = 1,000 bytes/ms: about 120 ms for the frame (less the initial 5 ms burst)
    assert.ok(span >= bytes / 1000 - 10 && span <= bytes / 1000 + 10, `${bytes} bytes over ${span} ms`);
    for (const s of video) {
      const window = video.filter((o) => o.at >= s.at && o.at < s.at + 5);
      // the idle burst (5 ms of budget) plus 5 ms of rate: never a whole keyframe at once
      assert.ok(window.length <= 9, `${window.length} packets within 5 ms`);
    }
    // audio written after the keyframe left first
    const audio = sent.find((s) => s.pt === 111)!;
    assert.equal(audio.at, 100);
    assert.ok(sent.indexOf(audio) <= 5, 'sent.indexOf(audio) <= 5');
    assert.equal(p.b.of('frame').length, 2);
  });

  it('follows setPacingRate', () => {
    const spanAt = (bps: number): number => {
      const p = pair([{ mid: 'v', kind: 'video', codecs: [codec('vp8', 96)], a: [{ ssrc: 2 }] }]);
      p.a.session.setPacingRate(bps);
      const sent = sendTimes(p);
      p.a.schedule(0, (now) => p.a.session.writeFrame(now, 'v', undefined, vp8Frame(0, 60_000, true)));
      p.net.runFor(1000);
      return sent[sent.length - 1]!.at - sent[0]!.at;
    };
    const fast = spanAt(20_000_000);
    const slow = spanAt(2_000_000);
    assert.ok(slow > fast * 6, `${slow} ms at 2 Mbit/s vs ${fast} ms at 20 Mbit/s`);
  });

  it('refuses whole frames when its queue is full', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [codec('vp8', 96)], a: [{ ssrc: 2 }] }], {
      // the queue-time limit (bwe.test.ts) off: this is about the packet bound
      a: {
        pacer: { rateBps: 100_000, maxQueuePackets: 200 },
        bandwidth: { maxQueueMs: 1e9, pressureQueueMs: 1e9 },
      },
    });
    let accepted = 0;
    for (let i = 0; i < 50; i++)
      if (p.a.session.writeFrame(0, 'v', undefined, vp8Frame(i, 12_000, i === 0))) accepted++;
    const stats = p.a.session.getStats(0);
    assert.ok(stats.pacer.queued <= 200, 'stats.pacer.queued <= 200');
    assert.equal(stats.counters.framesRefused, 50 - accepted);
    assert.ok(accepted >= 15 && accepted < 20, `${accepted} frames accepted`);
  });
});

describe('Pacer', () => {
  it('releases audio first, then retransmissions, then video, within the budget', () => {
    const pacer = new Pacer<{ size: number; name: string }>({ rateBps: 800_000, maxBurstMs: 5 }); // 100 B/ms
    pacer.enqueue({ size: 400, name: 'v1' }, 'video');
    pacer.enqueue({ size: 400, name: 'v2' }, 'video');
    pacer.enqueue({ size: 400, name: 'r1' }, 'retransmission');
    pacer.enqueue({ size: 100, name: 'a1' }, 'audio');
    const names: string[] = [];
    for (let x = pacer.poll(0); x; x = pacer.poll(0)) names.push(x.name);
    // 1,500 bytes of burst: audio, the retransmission, then video while budget remains (200 bytes left)
    assert.deepEqual(names, ['a1', 'r1', 'v1', 'v2']);
    pacer.enqueue({ size: 400, name: 'v3' }, 'video');
    pacer.enqueue({ size: 400, name: 'v4' }, 'video');
    assert.equal(pacer.poll(0)!.name, 'v3'); // budget goes to −200
    assert.equal(pacer.poll(0), undefined);
    const at = pacer.nextReleaseTime()!;
    assert.ok(at > 2 && at < 2.1, `next release at ${at} ms`);
    assert.equal(pacer.poll(at - 0.05), undefined);
    assert.equal(pacer.poll(at)!.name, 'v4');
    assert.equal(pacer.nextReleaseTime(), undefined);
    assert.deepEqual(pacer.stats, {
      packetsQueued: 6,
      packetsReleased: 6,
      packetsDropped: 0,
      probePacketsSent: 0,
      probeClustersSent: 0,
    });
  });
});
