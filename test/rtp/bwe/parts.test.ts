/**
 * The estimator's parts on their own, with synthetic input: packet grouping, the trendline overuse detector,
 * AIMD, the loss-based controller, probe measurement, ALR detection, the split across senders.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckedBitrate } from '../../../src/rtp/bwe/acked-bitrate.js';
import { AimdRateControl } from '../../../src/rtp/bwe/aimd-rate-control.js';
import { AlrDetector } from '../../../src/rtp/bwe/alr-detector.js';
import { BandwidthEstimator } from '../../../src/rtp/bwe/bandwidth-estimator.js';
import { allocateBitrate } from '../../../src/rtp/bwe/bitrate-allocation.js';
import { InterArrival } from '../../../src/rtp/bwe/inter-arrival.js';
import { LossBasedController } from '../../../src/rtp/bwe/loss-based.js';
import { ProbeEstimator } from '../../../src/rtp/bwe/probe-estimator.js';
import { TrendlineDetector } from '../../../src/rtp/bwe/trendline.js';
import type { PacketResult } from '../../../src/rtp/feedback/transport-feedback-log.js';

describe('InterArrival', () => {
  it('groups packets sent within 5 ms and gives deltas between groups', () => {
    const ia = new InterArrival();
    const out = [];
    // frames every 33 ms, 3 packets 1 ms apart each; each frame arrives 2 ms later than the last (a queue)
    for (let f = 0; f < 4; f++)
      for (let p = 0; p < 3; p++) {
        const sent = f * 33 + p;
        const d = ia.add(sent, 1000 + sent + f * 2, 1000, sent);
        if (d) out.push(d);
      }
    assert.deepEqual(out, [
      { sendDelta: 33, arrivalDelta: 35, sizeDelta: 0 },
      { sendDelta: 33, arrivalDelta: 35, sizeDelta: 0 },
    ]);
  });

  it('counts a burst released at once by a queue as one group', () => {
    const ia = new InterArrival();
    const deltas = [];
    // sent 6 ms apart (separate groups by send time) but arriving 1 ms apart after a queue released them
    for (let i = 0; i < 6; i++) {
      const d = ia.add(i * 6, 100 + i, 500, i * 6);
      if (d) deltas.push(d);
    }
    assert.equal(deltas.length, 0);
  });
});

describe('TrendlineDetector', () => {
  const run = (delayStep: number, groups = 80): string[] => {
    const t = new TrendlineDetector();
    const states: string[] = [];
    for (let i = 1; i <= groups; i++) states.push(t.update(10 + delayStep, 10, i * (10 + delayStep)));
    return states;
  };
  it('stays normal at a constant delay', () => {
    assert.ok(run(0).every((s) => s === 'normal'));
  });
  it('signals overuse when the delay grows by 1 ms a group', () => {
    assert.equal(run(1).at(-1), 'overusing');
  });
  it('signals underuse when the delay shrinks (a queue draining)', () => {
    assert.equal(run(-1).at(-1), 'underusing');
  });
  it('raises its threshold under a trend that stays a little above it', () => {
    const t = new TrendlineDetector();
    for (let i = 1; i <= 300; i++) t.update(10.6, 10, i * 10.6);
    assert.ok(t.threshold > 12.5, `threshold ${t.threshold}`);
  });
});

describe('AimdRateControl', () => {
  it('decreases to 0.85 × the throughput on overuse, then holds', () => {
    const rc = new AimdRateControl(1_000_000, 10_000, 10_000_000);
    rc.setEstimate(1_000_000, 0);
    assert.equal(rc.update('overusing', 800_000, 100), 680_000);
    assert.equal(rc.update('overusing', 800_000, 105), 680_000, 'not again within an RTT (hold)');
  });
  it('a far lower latest window counts for a decrease only if its packets queued on the way', () => {
    // The window after an encoder reopened: sent sparsely, arrived as sent — not a capacity measure.
    const sparse = new AimdRateControl(1_100_000, 10_000, 10_000_000);
    sparse.setEstimate(1_100_000, 0);
    assert.equal(sparse.update('overusing', 700_000, 100, 470_000, true, false), 595_000);
    // A capacity drop: the same window rate, its packets spread out by the bottleneck's queue.
    const drop = new AimdRateControl(1_100_000, 10_000, 10_000_000);
    drop.setEstimate(1_100_000, 0);
    assert.equal(drop.update('overusing', 700_000, 100, 470_000, false, true), 399_500);
    // Just after a rate jump, the smoothed rate is the old low one: a higher latest window is taken.
    const jump = new AimdRateControl(2_000_000, 10_000, 10_000_000);
    jump.setEstimate(2_000_000, 0);
    assert.equal(jump.update('overusing', 500_000, 100, 1_500_000, true, false), 1_275_000);
  });
  it('grows 8 % a second while the capacity is unknown, additively once an overuse located it', () => {
    const rc = new AimdRateControl(1_000_000, 10_000, 10_000_000);
    rc.setEstimate(1_000_000, 0);
    for (let t = 100; t <= 1000; t += 100) rc.update('normal', 1_000_000, t);
    assert.ok(Math.abs(rc.estimate / 1_080_000 - 1) < 0.01, `after 1 s: ${rc.estimate}`);
    rc.update('overusing', 1_000_000, 1100);
    const after = rc.estimate;
    // well under the capacity seen: back at 8 % a second; near it: about a packet per response time
    for (let t = 1200; t <= 4000; t += 100) rc.update('normal', 1_000_000, t);
    assert.ok(rc.estimate > after && rc.estimate < 1_060_000, `${after} → ${rc.estimate}`);
  });
  it('does not grow while application-limited, nor beyond 1.5 × the throughput', () => {
    const rc = new AimdRateControl(1_000_000, 10_000, 10_000_000);
    rc.setEstimate(1_000_000, 0);
    rc.inAlr = true;
    for (let t = 100; t <= 3000; t += 100) rc.update('normal', 1_000_000, t);
    assert.equal(rc.estimate, 1_000_000);
    rc.inAlr = false;
    for (let t = 3100; t <= 20_000; t += 100) rc.update('normal', 300_000, t);
    assert.equal(rc.estimate, 1_000_000, 'already above 1.5 × 300k + 10k: no increase');
  });
});

describe('AckedBitrate', () => {
  /** 1,250-byte packets every 10 ms (1 Mbit/s) from `from` to `to`, except in [gapFrom, gapTo). */
  const feed = (acked: AckedBitrate, from: number, to: number, gap?: [number, number], size = 1250): void => {
    for (let t = from; t < to; t += 10) if (!gap || t < gap[0] || t >= gap[1]) acked.add(t, size);
  };
  it('does not take a sender pause inside one window for a capacity drop', () => {
    const acked = new AckedBitrate();
    feed(acked, 0, 2000);
    // 120 ms without packets (an encoder reopening); the first packet after it closes the paused window
    feed(acked, 2000, 2170, [2040, 2160]);
    assert.ok(acked.lastSample! < 500_000, `the paused window alone reads ${acked.lastSample}`);
    assert.equal(acked.recentSample, undefined, 'a decrease takes the smoothed estimate instead');
    assert.ok(acked.bitrate! > 900_000, `smoothed ${acked.bitrate}`);
    feed(acked, 2170, 2400);
    assert.ok(acked.recentSample! > 900_000, `the next whole window counts again: ${acked.recentSample}`);
  });
  it('tells a window the link spread out (a queue grew) from one the sender filled sparsely', () => {
    const acked = new AckedBitrate();
    // 1 Mbit/s for 2 s, no queue (arrival = send + 20 ms)
    for (let t = 0; t < 2000; t += 10) acked.add(t, 1250, false, t - 20);
    assert.equal(acked.lastSampleQueued, false, 'arrived as sent');
    // the sender slows to 400 kbit/s (no pause long enough to count as one): still arrives as sent
    for (let t = 2000; t < 2320; t += 25) acked.add(t, 1250, false, t - 20);
    assert.ok(acked.recentSample! < 500_000, `${acked.recentSample}`);
    assert.equal(acked.lastSampleQueued, false, 'the sender, not the link, set that rate');
    // the link drops to 300 kbit/s under a sender still at 1 Mbit/s: packets sent 10 ms apart arrive 33 ms apart
    for (let i = 0; i < 20; i++) acked.add(2320 + i * 33, 1250, false, 2300 + i * 10);
    assert.equal(acked.lastSampleQueued, true, 'spread out by a queue');
  });
  it('follows a real drop within two windows', () => {
    const acked = new AckedBitrate();
    feed(acked, 0, 2000);
    feed(acked, 2000, 2400, undefined, 375); // 300 kbit/s from now on
    assert.ok(Math.abs(acked.recentSample! / 300_000 - 1) < 0.05, `recent ${acked.recentSample}`);
    assert.ok(acked.bitrate! > 600_000, `the smoothed estimate still lags: ${acked.bitrate}`);
  });
});

describe('LossBasedController', () => {
  it('holds at 1 % loss, drops by half the loss above 10 %, at most once per RTT + 300 ms', () => {
    const lb = new LossBasedController(2_000_000, 50_000, 10_000_000);
    lb.setDelayBasedLimit(0, 2_000_000);
    lb.onPacketResults(3000, 1, 99); // 1 %
    assert.equal(lb.target, 2_000_000);
    lb.rtt = 100;
    lb.onPacketResults(3100, 20, 80); // 20 %
    assert.equal(lb.target, 1_800_000);
    lb.onPacketResults(3200, 20, 80);
    assert.equal(lb.target, 1_800_000, 'not within 400 ms');
    lb.onPacketResults(3500, 20, 80);
    assert.equal(lb.target, 1_620_000);
    // no loss: grows back 8 % a second at most, not to the delay-based estimate at once
    lb.onPacketResults(4500, 0, 100);
    assert.ok(lb.target < 1_800_000 && lb.target > 1_620_000, `${lb.target}`);
  });
});

describe('ProbeEstimator', () => {
  it('measures a cluster sent at 4 Mbit/s through a 2 Mbit/s bottleneck as 95 % of 2 Mbit/s', () => {
    const pe = new ProbeEstimator();
    pe.onClusterStarted(0, { id: 7, bitrate: 4_000_000, minBytes: 10_000, minPackets: 5 });
    let result: number | undefined;
    for (let i = 0; i < 10; i++) result = pe.onPacket(7, i * 2, 50 + i * 4, 1000) ?? result; // 1000 B / 2 ms
    assert.ok(result !== undefined && Math.abs(result / 1_900_000 - 1) < 0.01, `${result}`);
  });
  it('waits for 80 % of the cluster and ignores unknown clusters', () => {
    const pe = new ProbeEstimator();
    pe.onClusterStarted(0, { id: 1, bitrate: 1_000_000, minBytes: 10_000, minPackets: 10 });
    for (let i = 0; i < 7; i++) assert.equal(pe.onPacket(1, i * 8, 50 + i * 8, 1000), undefined);
    assert.equal(pe.onPacket(2, 0, 10, 1000), undefined);
  });
});

describe('BandwidthEstimator and probe results', () => {
  it('a probe cluster stretched by a stalled sender cannot take the estimate under 85 % of what is acknowledged', () => {
    // 800 kbit/s of media through a link with room to spare, fed back every 50 ms; at 2 s the initial probes
    // go out, their packets spread over 300 ms by a stall (an event loop busy elsewhere): measured alone,
    // such a cluster reads ~100 kbit/s, and before the floor it set the estimate there.
    const bwe = new BandwidthEstimator({ startBitrate: 1_000_000 });
    const pending: PacketResult[] = [];
    let seq = 0;
    const send = (t: number, cluster?: number): void => {
      bwe.onPacketSent(t, 1200, cluster === undefined);
      pending.push({
        transportSequenceNumber: seq,
        ssrc: 1,
        sequenceNumber: seq++,
        size: 1200,
        sentAt: t,
        retransmission: false,
        probeClusterId: cluster,
        receivedAt: t + 20,
      });
    };
    let lowest = Number.POSITIVE_INFINITY;
    let probed = 0;
    for (let t = 0; t <= 4000; t++) {
      if (t % 12 === 0) send(t);
      if (t >= 2000)
        for (let c = bwe.pollProbe(t); c; c = bwe.pollProbe(t)) {
          probed++;
          const packets = Math.max(c.minPackets, Math.ceil(c.minBytes / 1200));
          for (let i = 0; i < packets; i++) send(t + (i * 300) / packets, c.id);
        }
      if (t % 50 === 0) {
        pending.sort((a, b) => a.receivedAt! - b.receivedAt!);
        const due = pending.filter((p) => p.receivedAt! <= t);
        pending.splice(0, due.length);
        if (due.length) bwe.onTransportFeedback(t, due);
      }
      if ((bwe.nextProcessTime() ?? Number.POSITIVE_INFINITY) <= t) bwe.process(t);
      if (t >= 2000) lowest = Math.min(lowest, bwe.targetBitrate);
    }
    assert.ok(probed > 0, 'the initial probes were sent');
    assert.ok(bwe.stats().probeResults > 0, 'and measured');
    const acked = bwe.stats().ackedBitrate!;
    // 85 % of the acknowledged rate when the result came (its 150 ms windows read 790–850 kbit/s here)
    assert.ok(
      lowest >= 0.75 * acked,
      `lowest estimate ${Math.round(lowest / 1000)} kbit/s with ${Math.round(acked / 1000)} kbit/s acknowledged`,
    );
  });
});

describe('AlrDetector', () => {
  it('detects a sender using a fraction of its estimate, and its end', () => {
    const alr = new AlrDetector();
    alr.setEstimate(1_000_000);
    for (let t = 0; t <= 2000; t += 20) alr.onSent(t, 500); // 200 kbit/s
    assert.ok(alr.inAlr);
    for (let t = 2020; t <= 4000; t += 10) alr.onSent(t, 1250); // 1 Mbit/s
    assert.ok(!alr.inAlr);
    assert.ok(alr.endedAt !== undefined && alr.endedAt > 2000);
  });
});

describe('allocateBitrate', () => {
  const a = { mid: 'a', kind: 'audio' as const, minBitrate: 16_000, maxBitrate: 64_000, priority: 1 };
  const v = { mid: 'v', kind: 'video' as const, minBitrate: 30_000, maxBitrate: Infinity, priority: 1 };
  const w = { mid: 'w', kind: 'video' as const, minBitrate: 30_000, maxBitrate: 300_000, priority: 1 };
  it('gives audio first, then shares the rest among video within their maxima', () => {
    assert.deepEqual(Object.fromEntries(allocateBitrate(1_064_000, [v, w, a])), {
      a: 64_000,
      v: 700_000,
      w: 300_000,
    });
    assert.deepEqual(Object.fromEntries(allocateBitrate(40_000, [v, a])), { a: 16_000, v: 24_000 });
    assert.deepEqual(
      Object.fromEntries(allocateBitrate(460_000, [v, { ...w, maxBitrate: Infinity, priority: 3 }])),
      { v: 130_000, w: 330_000 }, // minimums first, the rest 1 : 3
    );
  });
});
