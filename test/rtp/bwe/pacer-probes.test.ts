/**
 * The pacer's probe clusters and padding, its queue time, and what the session does with them: probes on the
 * wire as RTX padding under transport-wide numbers, send-pressure and refusal when the queue is too long.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer } from '../../../src/rtp/pacer.js';
import { codec, pair, tap, vp8Frame } from '../session/harness.js';

describe('Pacer probe clusters', () => {
  it('sends a cluster at its rate, padding when no media waits, then stops padding', () => {
    const pacer = new Pacer<{ size: number; padding: boolean }>({ rateBps: 500_000 });
    pacer.addProbe({ id: 9, bitrate: 2_000_000, minBytes: 5000, minPackets: 5 });
    const sent: { at: number; size: number; cluster: number | undefined }[] = [];
    let now = 0;
    for (let guard = 0; guard < 1000; guard++) {
      const item = pacer.poll(now);
      if (item) {
        sent.push({ at: now, size: item.size, cluster: pacer.releasedProbeCluster });
        continue;
      }
      const wanted = pacer.paddingWanted(now);
      if (wanted > 0) {
        pacer.enqueue({ size: Math.min(wanted, 300), padding: true }, 'padding');
        continue;
      }
      const next = pacer.nextReleaseTime();
      if (next === undefined) break;
      now = next;
    }
    const bytes = sent.reduce((n, s) => n + s.size, 0);
    assert.ok(bytes >= 5000 && bytes < 5300, `${bytes} bytes`);
    assert.ok(sent.every((s) => s.cluster === 9));
    const span = sent.at(-1)!.at - sent[0]!.at;
    const rate = ((bytes - sent.at(-1)!.size) * 8000) / span;
    assert.ok(Math.abs(rate / 2_000_000 - 1) < 0.02, `sent at ${rate} bit/s`);
    assert.equal(pacer.paddingWanted(now + 100), 0);
    assert.equal(pacer.probing, false);
    assert.equal(pacer.stats.probeClustersSent, 1);
  });

  it('uses queued media for a cluster before padding, and says how long its queue takes', () => {
    const pacer = new Pacer<{ size: number }>({ rateBps: 1_000_000 });
    for (let i = 0; i < 100; i++) pacer.enqueue({ size: 1250 }, 'video');
    assert.equal(pacer.queueTimeMs(), 1000);
    pacer.addProbe({ id: 1, bitrate: 4_000_000, minBytes: 6000, minPackets: 5 });
    assert.equal(pacer.paddingWanted(0), 0);
    const clusters = [];
    for (let i = 0; i < 5; i++) {
      assert.ok(pacer.poll(i * 2.5));
      clusters.push(pacer.releasedProbeCluster);
    }
    assert.deepEqual(clusters, [1, 1, 1, 1, 1]);
    assert.equal(pacer.probing, false);
    assert.equal(pacer.queueTimeMs(), 950);
  });
});

const VIDEO = codec('vp8', 96, { nack: true, pli: true, transportCc: true }, 97);

describe('session: probes and send pressure', () => {
  it('probes at start with RTX padding under transport-wide numbers, measured from TWCC feedback', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 1, rtxSsrc: 2 }] }]);
    const wire = tap(p, 'a');
    let i = 0;
    p.a.schedule(0, (now) => p.a.session.writeFrame(now, 'v', undefined, vp8Frame(i++, 1200, i === 1)), 33);
    p.net.runFor(2000);
    const padding = wire.rtp.filter((r) => r.ssrc === 2 && r.payloadType === 97);
    assert.ok(padding.length >= 10, `${padding.length} RTX probe packets`);
    assert.ok(
      padding.every((r) => r.getExtension(3) !== undefined),
      'transport-wide numbers on probes',
    );
    const stats = p.a.session.getStats(p.net.now);
    assert.ok(stats.pacer.probeClustersSent >= 2, 'two initial clusters');
    assert.ok(stats.bandwidth!.probeResults >= 1, 'measured from feedback');
    // the receiver is not disturbed: every frame arrived, no stream for the RTX padding
    assert.equal(p.b.of('frame').length, i);
    assert.equal(p.b.session.getStats(p.net.now).inbound.length, 1);
  });

  it('raises send-pressure past pressureQueueMs and refuses video frames past maxQueueMs', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 1, rtxSsrc: 2 }] }], {
      a: { bandwidth: { startBitrate: 300_000, pressureQueueMs: 100, maxQueueMs: 300, probing: false } },
    });
    let refused = 0;
    let i = 0;
    // 12 kB every 33 ms ≈ 2.9 Mbit/s into a pacer at 2.5 × 300 kbit/s
    p.a.schedule(
      0,
      (now) => {
        if (now < 1500 && !p.a.session.writeFrame(now, 'v', undefined, vp8Frame(i, 12_000, i === 0)))
          refused++;
        i++;
      },
      33,
    );
    p.net.runFor(6000);
    const pressure = p.a.of('send-pressure');
    assert.equal(pressure[0]?.active, true);
    assert.equal(pressure.at(-1)?.active, false, 'over once the queue drained');
    assert.ok(refused > 10, `${refused} frames refused`);
    const stats = p.a.session.getStats(p.net.now);
    assert.equal(stats.bandwidth!.framesRefused, refused);
    assert.ok(stats.pacer.queueTimeMs < 50);
  });
});
