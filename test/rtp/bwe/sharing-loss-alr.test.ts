/**
 * Bandwidth estimation in virtual time beyond a single greedy flow: two flows sharing one bottleneck, random
 * loss (1 % must not collapse the rate, 10 % must lower it), and an application-limited sender (ALR).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bottleneckNetwork, Flow, mean, percentile, SEED, trace } from './harness.js';

describe('bandwidth estimation: sharing, loss, application-limited', () => {
  it('gives two flows sharing a 3 Mbit/s bottleneck fair shares (within a factor of 1.5)', () => {
    const { net, link } = bottleneckNetwork({ rateBps: 3_000_000, queueMs: 300 }, { seed: 11 + SEED });
    const first = new Flow(net, 1, 11 + SEED);
    const second = new Flow(net, 2, 11 + SEED, { start: 10_000 });
    net.runFor(60_000);
    const a = link.throughput(30_000, 60_000, first.sourceAddress);
    const b = link.throughput(30_000, 60_000, second.sourceAddress);
    const delays = link.queueDelays(30_000, 60_000);
    const figures = {
      firstBps: Math.round(a),
      secondBps: Math.round(b),
      ratio: +(Math.max(a, b) / Math.min(a, b)).toFixed(2),
      utilisation: +((a + b) / 3_000_000).toFixed(3),
      firstEstimate: Math.round(mean(first.estimatesIn(30_000, 60_000))),
      secondEstimate: Math.round(mean(second.estimatesIn(30_000, 60_000))),
      queueP95: +percentile(delays, 0.95).toFixed(1),
    };
    trace('fairness', figures);
    assert.ok(figures.ratio <= 1.5, `shares ${a} and ${b}`);
    assert.ok(figures.utilisation > 0.8, `utilisation ${figures.utilisation}`);
    // two flows' keyframes and decreases overlap: a little more queue than one flow alone
    assert.ok(figures.queueP95 < 150, `queue p95 ${figures.queueP95} ms`);
  });

  for (const loss of [0.01, 0.1]) {
    it(`${loss * 100} % random loss on a 2.5 Mbit/s link ${loss < 0.05 ? 'does not collapse the rate' : 'lowers the rate (loss-based)'}`, () => {
      const { net, link } = bottleneckNetwork(
        { rateBps: 2_500_000, queueMs: 300, loss },
        { seed: 13 + SEED },
      );
      const flow = new Flow(net, 1, 13 + SEED);
      net.runFor(40_000);
      const estimate = mean(flow.estimatesIn(20_000, 40_000));
      const stats = flow.sender.session.getStats(net.now).bandwidth!;
      const figures = {
        loss,
        estimate: Math.round(estimate),
        share: +(estimate / 2_500_000).toFixed(3),
        lossFraction: +stats.lossFraction.toFixed(3),
        dropped: link.drops.random,
        framesReceived: flow.framesReceived,
        framesEncoded: flow.framesEncoded,
      };
      trace(`loss ${loss}`, figures);
      if (loss < 0.05) assert.ok(estimate > 0.8 * 2_500_000, `estimate ${estimate} with 1 % loss`);
      else assert.ok(estimate < 0.5 * 2_500_000, `estimate ${estimate} with 10 % loss`);
      // frames still flow (NACK/RTX repairs the losses)
      assert.ok(
        flow.framesReceived > 0.9 * flow.framesEncoded,
        `${flow.framesReceived} of ${flow.framesEncoded} frames`,
      );
    });
  }

  it('keeps an application-limited sender (300 kbit/s on 5 Mbit/s) from inflating its estimate, and ramps when it wants more', () => {
    const { net, link } = bottleneckNetwork({ rateBps: 5_000_000, queueMs: 300 }, { seed: 17 + SEED });
    const flow = new Flow(net, 1, 17 + SEED, { appLimitBps: 300_000 });
    let alrSamples = 0;
    let samples = 0;
    flow.sender.every(5_000, 100, (now) => {
      if (now >= 30_000) return;
      samples++;
      if (flow.sender.session.getStats(now).bandwidth?.inAlr) alrSamples++;
    });
    net.runFor(30_000);
    const limited = flow.estimatesIn(5_000, 30_000);
    flow.appLimitBps = Number.POSITIVE_INFINITY;
    net.runFor(10_000);
    const rampedAt = flow.estimates.find(
      (e) => e.at >= 30_000 && link.throughput(e.at - 1000, e.at) >= 0.8 * 5_000_000,
    );
    const figures = {
      maxEstimateWhileLimited: Math.max(...limited),
      meanEstimateWhileLimited: Math.round(mean(limited)),
      sentWhileLimited: Math.round(link.throughput(5_000, 30_000)),
      alrShare: +(alrSamples / samples).toFixed(2),
      rampedTo80PctAfterMs: rampedAt ? rampedAt.at - 30_000 : undefined,
      throughputAfter: Math.round(link.throughput(33_000, 40_000)),
    };
    trace('alr', figures);
    assert.ok(figures.alrShare > 0.9, `in ALR ${figures.alrShare} of the time`);
    assert.ok(
      figures.maxEstimateWhileLimited <= 1.1 * 5_000_000,
      `estimate rose to ${figures.maxEstimateWhileLimited}`,
    );
    assert.ok(
      rampedAt !== undefined && rampedAt.at - 30_000 <= 3000,
      `ramped after ${figures.rampedTo80PctAfterMs} ms`,
    );
  });
});
