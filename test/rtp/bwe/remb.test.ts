/**
 * REMB both ways in virtual time: a receiver whose peer negotiated goog-remb (and abs-send-time) without
 * transport-cc estimates what it receives and sends REMB; the sender follows it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bottleneckNetwork, Flow, mean, percentile, SEED, trace } from './harness.js';

describe('bandwidth estimation with a REMB-only peer', () => {
  it('the receiver sends REMB from a delay-based estimate on abs-send-time; the sender follows it', () => {
    const { net, link } = bottleneckNetwork({ rateBps: 1_000_000, queueMs: 300 }, { seed: 19 + SEED });
    const flow = new Flow(net, 1, 19 + SEED, { feedback: 'remb' });
    const mismatches: string[] = [];
    let samples = 0;
    const rembTargets: number[] = [];
    const previous = flow.sender.onEvent;
    flow.sender.onEvent = (now, e) => {
      previous(now, e);
      if (e.type === 'target-bitrate') rembTargets.push(e.bitrate);
      if (e.type === 'target-bitrate') assert.equal(e.source, 'remb');
    };
    flow.sender.every(1000, 100, (now) => {
      const bw = flow.sender.session.getStats(now).bandwidth;
      if (!bw || bw.remoteEstimate === undefined) return;
      samples++;
      assert.equal(bw.mode, 'remb');
      if (Math.abs(bw.availableOutgoingBitrate / bw.remoteEstimate - 1) > 0.01)
        mismatches.push(`${now}: ${bw.availableOutgoingBitrate} vs REMB ${bw.remoteEstimate}`);
    });
    net.runFor(60_000);
    const receiver = flow.receiver.session.getStats(net.now).receiveEstimate!;
    const steady = flow.estimatesIn(30_000, 60_000);
    const delays = link.queueDelays(30_000, 60_000);
    const figures = {
      rembsSent: receiver.rembSent,
      samplesWithRemb: samples,
      reachedCapacityAtMs: flow.estimates.find((e) => e.bps >= 0.9 * 1_000_000)?.at,
      steadyMean: Math.round(mean(steady)),
      steadyMin: Math.min(...steady),
      queueP95: +percentile(delays, 0.95).toFixed(1),
      drops: link.drops.queue,
    };
    trace('remb', figures);
    assert.ok(receiver.rembSent >= 50, `${receiver.rembSent} REMBs in 60 s`);
    assert.ok(samples > 500, `${samples} samples`);
    assert.deepEqual(mismatches.slice(0, 3), [], 'the target is the REMB');
    assert.ok(rembTargets.length > 10, 'target-bitrate events for the encoder');
    assert.ok(Math.abs(figures.steadyMean / 1_000_000 - 1) <= 0.2, `steady mean ${figures.steadyMean}`);
    assert.ok(figures.queueP95 < 100, `queue p95 ${figures.queueP95}`);
    assert.equal(link.drops.queue, 0);
  });

  it('sends no REMB when transport-cc is negotiated (TWCC feedback instead)', () => {
    const { net } = bottleneckNetwork({ rateBps: 1_000_000 }, { seed: 21 });
    const flow = new Flow(net, 1, 21, { feedback: 'twcc' });
    net.runFor(5000);
    assert.equal(flow.receiver.session.getStats(net.now).receiveEstimate, undefined);
    assert.ok(flow.receiver.session.getStats(net.now).twcc.feedbackSent > 30);
    assert.equal(flow.sender.session.getStats(net.now).bandwidth?.mode, 'transport-cc');
  });
});
