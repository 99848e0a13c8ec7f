/**
 * One TWCC flow over a bottleneck (40 ms RTT, 300 ms drop-tail queue) in virtual time: the estimate
 * converges to the link's rate, keeps the queue short, does not oscillate, follows capacity steps both ways.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bottleneckNetwork, Flow, mean, percentile, SEED, trace } from './harness.js';

/** Averages of the estimate over `window` ms, every second from `from` to `to`. */
function averages(flow: Flow, from: number, to: number, window: number): { at: number; bps: number }[] {
  const out: { at: number; bps: number }[] = [];
  for (let t = from; t + window <= to; t += 1000)
    out.push({ at: t + window, bps: mean(flow.estimatesIn(t, t + window)) });
  return out;
}

/**
 * When the estimate converged: the end of the first 5-s window whose mean is within ±tolerance of `value`.
 * Five seconds span a tooth of the AIMD sawtooth (a 15 % decrease, then the climb back). That it stays
 * there is asserted separately: the steady-state mean, and no sample beyond ±25 % of it.
 */
function convergedAt(
  flow: Flow,
  value: number,
  tolerance: number,
  from: number,
  to: number,
): number | undefined {
  return averages(flow, from, to, 5000).find((s) => Math.abs(s.bps - value) <= tolerance * value)?.at;
}

/** Share of the 5-s windows in [from, to) whose mean is within ±tolerance of `value` (a reported figure). */
function windowsWithin(flow: Flow, value: number, tolerance: number, from: number, to: number): number {
  const all = averages(flow, from, to, 5000);
  return all.filter((s) => Math.abs(s.bps - value) <= tolerance * value).length / all.length;
}

/** The end of the first 2-s window (from `from`) whose mean reaches `share` of `value`. */
function reachedAt(flow: Flow, value: number, share: number, from: number, to: number): number | undefined {
  return averages(flow, from, to, 2000).find((s) => s.bps >= share * value)?.at;
}

describe('bandwidth estimation: convergence on a bottleneck', () => {
  for (const rate of [1_000_000, 2_500_000, 5_000_000]) {
    it(`converges to within 15 % of ${rate / 1e6} Mbit/s within 10 s, queue under 100 ms, no oscillation`, () => {
      const { net, link } = bottleneckNetwork({ rateBps: rate, queueMs: 300 }, { seed: 3 + SEED });
      const flow = new Flow(net, 1, 3 + SEED);
      net.runFor(40_000);
      const at = convergedAt(flow, rate, 0.15, 0, 40_000);
      const steady = flow.estimatesIn(10_000, 40_000);
      const steadyMean = mean(steady);
      const delays = link.queueDelays(10_000, 40_000);
      const figures = {
        rate,
        convergedAtMs: at,
        windowsWithin15Pct: +windowsWithin(flow, rate, 0.15, 10_000, 40_000).toFixed(2),
        steadyMeanBps: Math.round(steadyMean),
        steadyError: +(steadyMean / rate - 1).toFixed(3),
        minBps: Math.min(...steady),
        maxBps: Math.max(...steady),
        linkUtilisation: +(link.throughput(10_000, 40_000) / rate).toFixed(3),
        queueP50: +percentile(delays, 0.5).toFixed(1),
        queueP95: +percentile(delays, 0.95).toFixed(1),
        queueMax: +Math.max(...delays).toFixed(1),
        drops: link.drops.queue,
        framesSkipped: flow.framesSkipped,
        frameDelayP95: +percentile(
          flow.frameDelays.filter((f) => f.at >= 10_000).map((f) => f.ms),
          0.95,
        ).toFixed(1),
      };
      trace(`converge ${rate}`, figures);
      assert.ok(at !== undefined && at <= 10_000, `converged at ${at} ms`);
      assert.ok(Math.abs(steadyMean / rate - 1) <= 0.15, `steady-state mean ${steadyMean}`);
      // no oscillation beyond ±25 % of the steady-state mean
      for (const v of steady)
        assert.ok(Math.abs(v / steadyMean - 1) <= 0.25, `sample ${v} vs mean ${steadyMean}`);
      assert.ok(figures.queueP95 < 100, `queueing delay p95 ${figures.queueP95} ms`);
      assert.ok(figures.linkUtilisation > 0.8, `link utilisation ${figures.linkUtilisation}`);
      assert.equal(link.drops.queue, 0);
    });
  }

  it('recovers after a capacity step up (1 → 3 Mbit/s) within 10 s and backs off a step down without a queue blow-up', () => {
    const { net, link } = bottleneckNetwork({ rateBps: 1_000_000, queueMs: 300 }, { seed: 5 + SEED });
    const flow = new Flow(net, 1, 5 + SEED);
    net.runFor(20_000);
    link.setRate(3_000_000);
    net.runFor(20_000);
    const up = reachedAt(flow, 3_000_000, 0.85, 20_000, 40_000);
    link.setRate(1_000_000);
    net.runFor(30_000);
    const downAverages = averages(flow, 40_000, 60_000, 1000);
    const backOff = downAverages.find((s) => s.bps <= 1_150_000);
    const delaysAfterDrop = link.queueDelays(40_000, 60_000);
    const settled = link.queueDelays(43_000, 60_000);
    // the last datagram in the 5 s after the drop that waited 100 ms or more: when the queue was drained
    const lastLong = link.samples.filter((x) => x.at >= 40_000 && x.at < 45_000 && x.queueDelay >= 100).pop();
    const figures = {
      stepUpRecoveredAtMs: up === undefined ? undefined : up - 20_000,
      stepDownBackedOffAfterMs: backOff === undefined ? undefined : backOff.at - 40_000,
      queueMaxAfterDrop: +Math.max(...delaysAfterDrop).toFixed(1),
      queueUnder100msAfterMs: lastLong ? Math.round(lastLong.at - 40_000) : 0,
      queueP95From3s: +percentile(settled, 0.95).toFixed(1),
      dropsAfterDrop: link.drops.queue,
      meanAfterDrop: Math.round(mean(flow.estimatesIn(45_000, 60_000))),
      // the queue overflowed (loss): the loss-based controller cut the target and grows it back 8 % a second
      backWithin15PctAfterMs: (convergedAt(flow, 1_000_000, 0.15, 40_000, 70_000) ?? 1e9) - 40_000,
    };
    trace('steps', figures);
    assert.ok(
      up !== undefined && up - 20_000 <= 10_000,
      `recovered ${figures.stepUpRecoveredAtMs} ms after the step up`,
    );
    assert.ok(backOff !== undefined && backOff.at - 40_000 <= 2000, 'backed off within 2 s');
    // the drop-tail queue (300 ms) fills in the ~150 ms before feedback tells of a 3× drop; it is drained
    // within 2 s and stays short after that
    assert.ok(figures.queueMaxAfterDrop <= 300.5, `queue peaked at ${figures.queueMaxAfterDrop} ms`);
    assert.ok(
      figures.queueUnder100msAfterMs <= 2500,
      `queue under 100 ms ${figures.queueUnder100msAfterMs} ms after`,
    );
    assert.ok(figures.queueP95From3s < 100, `queue p95 ${figures.queueP95From3s} ms from 3 s after the drop`);
    assert.ok(
      figures.backWithin15PctAfterMs <= 20_000,
      `back near 1 Mbit/s ${figures.backWithin15PctAfterMs} ms after`,
    );
  });
});
