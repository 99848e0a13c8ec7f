/**
 * Keyframe requests: the receiver's requestKeyframe() (or a loss the jitter buffer gives up on) sends PLI,
 * or FIR with increasing sequence numbers when only `ccm fir` was negotiated; at the sender, PLI and FIR
 * become keyframe-request events, one per interval however many arrive.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codec, injector, pair, tap, vp8Frame } from './harness.js';

/** A sender at 30 frames/s that answers each keyframe request with a keyframe, as an encoder does. */
function streaming(feedback: Parameters<typeof codec>[2]) {
  const p = pair([{ mid: 'v', kind: 'video', codecs: [codec('vp8', 96, feedback)], a: [{ ssrc: 77 }] }]);
  let i = 0;
  let answered = 0;
  p.a.schedule(
    0,
    (now) => {
      const requests = p.a.of('keyframe-request').length;
      p.a.session.writeFrame(now, 'v', undefined, vp8Frame(i, 500, i === 0 || requests > answered));
      answered = requests;
      i++;
    },
    33,
  );
  return p;
}

describe('keyframe requests', () => {
  it('requestKeyframe() sends a PLI; the sender raises keyframe-request', () => {
    const p = streaming({ pli: true, fir: true });
    const wire = tap(p, 'b');
    p.b.schedule(500, (now) => p.b.session.requestKeyframe(now, 'v'));
    p.net.runFor(1000);
    const plis = wire.rtcpOf('pli');
    assert.equal(plis.length, 1);
    assert.equal(plis[0]!.mediaSsrc, 77);
    assert.equal(wire.rtcpOf('fir').length, 0);
    const requests = p.a.of('keyframe-request');
    assert.deepEqual(
      requests.map((r) => [r.mid, r.ssrc, r.cause]),
      [['v', 77, 'pli']],
    );
    assert.equal(p.b.session.getStats(p.net.now).inbound[0]!.pliSent, 1);
  });

  it('sends FIR with increasing sequence numbers when only ccm fir is negotiated', () => {
    const p = streaming({ fir: true });
    const wire = tap(p, 'b');
    for (const at of [300, 700, 1100]) p.b.schedule(at, (now) => p.b.session.requestKeyframe(now, 'v'));
    // keyframes answer each request (so the jitter buffer stops asking)
    p.net.runFor(1500);
    const firs = wire.rtcpOf('fir');
    assert.ok(firs.length >= 3, 'firs.length >= 3');
    assert.equal(wire.rtcpOf('pli').length, 0);
    const seqs = firs.map((f) => {
      assert.equal(f.entries[0]!.ssrc, 77);
      return f.entries[0]!.sequenceNumber;
    });
    for (let k = 1; k < seqs.length; k++) assert.equal(seqs[k], (seqs[k - 1]! + 1) & 0xff);
    const requests = p.a.of('keyframe-request');
    assert.ok(
      requests.every((r) => r.cause === 'fir'),
      "requests.every((r) => r.cause === 'fir')",
    );
    // each FIR is a new request; the rate limit may fold two that come within 250 ms
    assert.ok(
      requests.length >= 3 && requests.length <= firs.length,
      'requests.length >= 3 && requests.length <= firs.length',
    );
  });

  it('sends neither when neither is negotiated, and ignores PLI and FIR from the peer', () => {
    const p = streaming({ nack: true });
    const wire = tap(p, 'b');
    p.b.schedule(500, (now) => p.b.session.requestKeyframe(now, 'v'));
    const peer = injector(p.keys.b);
    p.b.schedule(600, () => {
      p.a.session.handleDatagram(p.net.now, peer.rtcp([{ type: 'pli', senderSsrc: 9, mediaSsrc: 77 }]));
      p.a.collect();
    });
    p.net.runFor(1000);
    assert.equal(wire.rtcpOf('pli').length + wire.rtcpOf('fir').length, 0);
    assert.equal(p.a.of('keyframe-request').length, 0);
  });

  it('turns a PLI flood into one keyframe request per interval; a repeated FIR sequence number is ignored', () => {
    const p = streaming({ pli: true, fir: true });
    const peer = injector(p.keys.b);
    let t = 0;
    // 1,000 PLIs over 1 s: one every millisecond
    for (let k = 0; k < 1000; k++) {
      t = 100 + k;
      p.a.session.handleDatagram(t, peer.rtcp([{ type: 'pli', senderSsrc: 9, mediaSsrc: 77 }]));
    }
    p.a.collect();
    const plis = p.a.of('keyframe-request');
    // default interval 250 ms: requests at 100, 350, 600, 850 ms
    assert.equal(plis.length, 4);
    const stats = p.a.session.getStats(t).outbound[0]!.keyframeRequests;
    assert.equal(stats.pliReceived, 1000);
    assert.equal(stats.requestsSuppressed, 996);
    // FIR: the same sequence number from the same requester is a retransmission of one request
    const fir = (seq: number) =>
      peer.rtcp([{ type: 'fir', senderSsrc: 9, mediaSsrc: 0, entries: [{ ssrc: 77, sequenceNumber: seq }] }]);
    p.a.session.handleDatagram(2000, fir(5));
    p.a.session.handleDatagram(2300, fir(5));
    p.a.session.handleDatagram(2600, fir(6));
    p.a.collect();
    assert.deepEqual(
      p.a
        .of('keyframe-request')
        .slice(4)
        .map((r) => r.cause),
      ['fir', 'fir'],
    );
    // requests for an SSRC we do not send are ignored
    p.a.session.handleDatagram(3000, peer.rtcp([{ type: 'pli', senderSsrc: 9, mediaSsrc: 12345 }]));
    p.a.collect();
    assert.equal(p.a.of('keyframe-request').length, 6);
  });

  it('asks for a keyframe by itself after a loss it cannot repair', () => {
    const p = pair([
      { mid: 'v', kind: 'video', codecs: [codec('vp8', 96, { pli: true })], a: [{ ssrc: 77 }] },
    ]);
    let i = 0;
    let requested = 0;
    p.a.schedule(
      0,
      (now) => {
        const key = i === 0 || p.a.of('keyframe-request').length > requested;
        requested = p.a.of('keyframe-request').length;
        p.a.session.writeFrame(now, 'v', undefined, vp8Frame(i++, 2500, key));
      },
      33,
    );
    let media = 0;
    tap(p, 'a', (data) => (data[1]! & 0x7f) === 96 && ++media === 20); // one packet of frame 6 never arrives
    p.net.runFor(2000);
    assert.ok(p.a.of('keyframe-request').length >= 1, "p.a.of('keyframe-request').length >= 1");
    const frames = p.b.of('frame');
    assert.ok(frames.length > 40, 'frames.length > 40');
    assert.ok(frames.some((f, k) => k > 0 && f.frame.keyframe)); // recovered at the next keyframe
  });
});
