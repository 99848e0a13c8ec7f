/**
 * Transport-wide congestion control feedback for incoming media (sent about every 100 ms, parseable, with
 * arrival deltas that match the link) and its match to our send records; REMB → target-bitrate events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransportFeedbackEvent } from '../../../src/rtp/media-session-types.js';
import { isRtcp } from '../../../src/rtp/packet.js';
import { codec, injector, pair, type SectionSpec, tap, videoSource } from './harness.js';

const TWCC_VIDEO = codec('vp8', 96, { nack: true, pli: true, transportCc: true, remb: true }, 97);

describe('TWCC feedback', () => {
  it('sends feedback about every 100 ms whose arrival deltas match the link', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [TWCC_VIDEO], a: [{ ssrc: 1 }] }], {
      conditions: { delay: 15 },
    });
    const media = tap(p, 'a');
    const feedback = tap(p, 'b');
    const sentAt = new Map<number, number>();
    const previousTap = p.net.tap!;
    p.net.tap = (d, now) => {
      const keep = previousTap(d, now);
      const rtp = media.rtp[media.rtp.length - 1];
      if (d.source.address === p.a.address.address && !isRtcp(d.data) && rtp) {
        const ext = rtp.getExtension(3)!;
        sentAt.set((ext[0]! << 8) | ext[1]!, now);
      }
      return keep;
    };
    videoSource(p.a, 'v', { size: 2500 });
    p.net.runFor(3000);
    const twcc = feedback.rtcp.filter((d) => d.packets.some((x) => x.type === 'twcc'));
    assert.ok(twcc.length >= 25 && twcc.length <= 32, `${twcc.length} feedback datagrams in 3 s`);
    for (let k = 1; k < twcc.length; k++) {
      const gap = twcc[k]!.at - twcc[k - 1]!.at;
      assert.ok(gap >= 95 && gap <= 140, `feedback gap ${gap} ms`);
    }
    let covered = 0;
    for (const fb of feedback.rtcpOf('twcc')) {
      let at = fb.referenceTime * 64;
      for (const r of fb.received) {
        at += r.deltaUs / 1000;
        covered++;
        const sent = sentAt.get(r.sequenceNumber)!;
        // arrival on B's clock (the simulation's) = send time + 15 ms, to the 250 µs tick
        assert.ok(Math.abs(at - (sent + 15)) <= 0.25, `seq ${r.sequenceNumber}: ${at} vs ${sent + 15}`);
      }
    }
    assert.ok(covered >= sentAt.size - 30, `${covered} of ${sentAt.size} reported`);
    // the sender matched feedback to its send records: one-way delay 15 ms for every packet
    const results = p.a.of('transport-feedback').flatMap((e: TransportFeedbackEvent) => e.packets);
    assert.ok(results.length >= covered, 'results.length >= covered');
    const base = results[0]!.receivedAt! - results[0]!.sentAt;
    for (const r of results) {
      assert.ok(r.receivedAt !== undefined, 'r.receivedAt !== undefined');
      assert.ok(
        Math.abs(r.receivedAt - r.sentAt - base) <= 0.25,
        'Math.abs(r.receivedAt - r.sentAt - base) <= 0.25',
      );
      assert.equal(r.ssrc, 1);
      assert.ok(r.size > 500, 'r.size > 500');
    }
  });

  it('reports lost packets as not received (repaired by RTX under new transport-wide numbers)', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [TWCC_VIDEO], a: [{ ssrc: 1, rtxSsrc: 2 }] }]);
    let n = 0;
    tap(p, 'a', (data) => !isRtcp(data) && ++n % 10 === 0);
    videoSource(p.a, 'v', { size: 500, frames: 60 });
    p.net.runFor(2500);
    const results = p.a.of('transport-feedback').flatMap((e) => e.packets);
    const lost = results.filter((r) => r.receivedAt === undefined && !r.retransmission);
    assert.ok(lost.length >= 5, `${lost.length} reported lost`);
    assert.ok(
      results.filter((r) => r.receivedAt !== undefined).length > 50,
      'results.filter((r) => r.receivedAt !== undefined).length > 50',
    );
    assert.ok(
      results.some((r) => r.retransmission && r.ssrc === 2 && r.receivedAt !== undefined),
      'results.some((r) => r.retransmission && r.ssrc === 2 && r.receivedA...',
    );
  });

  it('sends none when transport-cc is not negotiated', () => {
    const p = pair([
      { mid: 'v', kind: 'video', codecs: [codec('vp8', 96, { pli: true })], a: [{ ssrc: 1 }] },
    ]);
    const feedback = tap(p, 'b');
    videoSource(p.a, 'v');
    p.net.runFor(1000);
    assert.equal(feedback.rtcpOf('twcc').length, 0);
    assert.equal(p.a.of('transport-feedback').length, 0);
  });
});

describe('REMB', () => {
  const sections: SectionSpec[] = [
    { mid: 'v', kind: 'video', codecs: [TWCC_VIDEO], a: [{ ssrc: 1 }] },
    { mid: 'w', kind: 'video', codecs: [TWCC_VIDEO], a: [{ ssrc: 2 }] },
    { mid: 'x', kind: 'video', codecs: [codec('vp8', 96, { pli: true })], a: [{ ssrc: 3 }] },
  ];

  // one injector per pair: its SRTCP index must keep counting
  const injectors = new WeakMap<ReturnType<typeof pair>, ReturnType<typeof injector>>();
  const remb = (p: ReturnType<typeof pair>, ssrcs: number[], bitrate: number): void => {
    let peer = injectors.get(p);
    if (!peer) {
      peer = injector(p.keys.b);
      injectors.set(p, peer);
    }
    p.a.session.handleDatagram(p.net.now, peer.rtcp([{ type: 'remb', senderSsrc: 77, bitrate, ssrcs }]));
  };

  it('passes a received REMB on as a target-bitrate event for the section it names (estimator off)', () => {
    const p = pair(sections, { a: { bandwidth: false } });
    remb(p, [1], 1_500_000);
    remb(p, [1, 2], 800_000);
    remb(p, [3], 500_000); // goog-remb not negotiated there
    remb(p, [999], 500_000); // not ours
    p.a.collect();
    assert.deepEqual(
      p.a.of('target-bitrate').map((e) => [e.mid, e.bitrate, e.ssrcs, e.source]),
      [
        ['v', 1_500_000, [1], 'remb'],
        [undefined, 800_000, [1, 2], 'remb'],
      ],
    );
  });

  it('caps the estimate with a REMB, split across the sending sections', () => {
    const p = pair(sections);
    remb(p, [1], 1_500_000);
    remb(p, [1, 2], 800_000);
    remb(p, [3], 100_000); // goog-remb not negotiated there: ignored
    remb(p, [999], 100_000); // not ours
    p.a.collect();
    // each of the three video senders: a third of the estimate less the packets' overhead (66 B a packet)
    const share = (bps: number) => Math.round(bps / (1 + 66 / 1200) / 3);
    assert.deepEqual(
      p.a.of('target-bitrate').map((e) => [e.mid, e.bitrate, e.ssrcs]),
      [
        ['v', share(1_500_000), [1]],
        ['w', share(1_500_000), [2]],
        ['x', share(1_500_000), [3]],
        ['v', share(800_000), [1]],
        ['w', share(800_000), [2]],
        ['x', share(800_000), [3]],
      ],
    );
    assert.equal(p.a.session.getStats(p.net.now).bandwidth?.availableOutgoingBitrate, 800_000);
    assert.equal(p.a.session.getStats(p.net.now).bandwidth?.remoteEstimate, 800_000);
  });
});
