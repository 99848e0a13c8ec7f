/**
 * Stream lifecycle: a peer that changes SSRC mid-call (new stream; the old one times out), BYE, receive
 * activity for mute detection, simulcast layers by RID, and reconfiguration that keeps streams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRtcp } from '../../../src/rtp/packet.js';
import {
  codec,
  configs,
  frameIndex,
  opusFrame,
  pair,
  type SectionSpec,
  tap,
  videoSource,
} from './harness.js';

const VIDEO = codec('vp8', 96, { nack: true, pli: true }, 97);

describe('stream lifecycle', () => {
  it('follows an SSRC change mid-call: a new stream, and the old one times out', () => {
    const spec: SectionSpec = {
      mid: 'v',
      kind: 'video',
      codecs: [VIDEO],
      a: [{ ssrc: 1 }],
      signalled: false,
    };
    const p = pair([spec]);
    videoSource(p.a, 'v');
    // at 1 s the sender switches to SSRC 2 without a BYE reaching us
    p.a.schedule(1000, () => p.a.session.configure(configs([{ ...spec, a: [{ ssrc: 2 }] }]).a));
    tap(p, 'a', (data, now) => isRtcp(data) && now >= 1000);
    p.net.runFor(5000);
    const added = p.b.of('stream-added').map((e) => e.ssrc);
    assert.deepEqual(added, [1, 2]);
    const removed = p.b.of('stream-removed');
    assert.deepEqual(
      removed.map((e) => [e.ssrc, e.reason]),
      [[1, 'timeout']],
    );
    const inactive = p.b.of('receive-activity').filter((e) => !e.active);
    assert.deepEqual(
      inactive.map((e) => e.ssrc),
      [1],
    );
    // frames kept coming on the new SSRC (a keyframe first: the sender asked its encoder)
    const frames = p.b.of('frame');
    assert.ok(
      frames.filter((f) => f.ssrc === 2).length > 100,
      'frames.filter((f) => f.ssrc === 2).length > 100',
    );
    assert.ok(
      frames.filter((f) => f.ssrc === 1).length >= 28,
      'frames.filter((f) => f.ssrc === 1).length >= 28',
    );
    assert.equal(p.b.session.getStats(p.net.now).sizes.receiveStreams, 1);
  });

  it('removes a stream on BYE; close() says BYE for every SSRC and stops the session', () => {
    const p = pair([
      { mid: 'a', kind: 'audio', codecs: [codec('opus', 111)], a: [{ ssrc: 10 }] },
      { mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 20, rtxSsrc: 21 }] },
    ]);
    const wire = tap(p, 'a');
    let i = 0;
    p.a.schedule(0, (now) => p.a.session.writeFrame(now, 'a', undefined, opusFrame(i++)), 20);
    videoSource(p.a, 'v');
    p.a.schedule(1000, (now) => {
      p.a.stopActions();
      p.a.session.close(now);
    });
    p.net.runFor(2000);
    const bye = wire.rtcpOf('bye');
    assert.equal(bye.length, 1);
    assert.deepEqual(bye[0]!.sources.sort(), [10, 20]);
    assert.deepEqual(
      p.b
        .of('stream-removed')
        .map((e) => [e.ssrc, e.reason])
        .sort(),
      [
        [10, 'bye'],
        [20, 'bye'],
      ],
    );
    assert.equal(p.a.session.closed, true);
    assert.equal(p.a.session.pollTimeout(), undefined);
    assert.equal(p.a.session.writeFrame(p.net.now, 'a', undefined, opusFrame(0)), false);
    const before = p.a.session.getStats(p.net.now).counters.notReady;
    p.a.session.handleDatagram(p.net.now, new Uint8Array(100).fill(0x80));
    assert.equal(p.a.session.getStats(p.net.now).counters.notReady, before + 1);
  });

  it('reports a receive stream inactive when media stops and active when it resumes (signalled: kept)', () => {
    const p = pair([{ mid: 'a', kind: 'audio', codecs: [codec('opus', 111)], a: [{ ssrc: 10 }] }]);
    let i = 0;
    let muted = false;
    p.a.schedule(0, (now) => !muted && p.a.session.writeFrame(now, 'a', undefined, opusFrame(i++)), 20);
    p.a.schedule(1000, () => {
      muted = true;
    });
    p.a.schedule(15_000, () => {
      muted = false;
    });
    p.net.runFor(16_000);
    const activity = p.b.of('receive-activity').map((e) => e.active);
    assert.deepEqual(activity, [false, true]);
    assert.equal(p.b.of('stream-removed').length, 0); // announced in SDP: never timed out
  });

  it('routes simulcast layers by RID and learns their SSRCs and RTX', () => {
    const spec: SectionSpec = {
      mid: 'v',
      kind: 'video',
      codecs: [VIDEO],
      a: [
        { ssrc: 100, rtxSsrc: 101, rid: 'q' },
        { ssrc: 200, rtxSsrc: 201, rid: 'h' },
      ],
    };
    const p = pair([spec], { conditions: { loss: 0.05 }, seed: 4 });
    videoSource(p.a, 'v', { rid: 'q', size: 800 });
    videoSource(p.a, 'v', { rid: 'h', size: 3000 });
    p.net.runFor(3000);
    const byRid = (rid: string) => p.b.of('frame').filter((f) => f.rid === rid);
    assert.ok(
      byRid('q').length > 80 && byRid('h').length > 80,
      "byRid('q').length > 80 && byRid('h').length > 80",
    );
    assert.ok(
      byRid('q').every((f) => f.ssrc === 100 && f.frame.data.byteLength === 800),
      "byRid('q').every((f) => f.ssrc === 100 && f.frame.data.byteLength...",
    );
    assert.ok(
      byRid('h').every((f) => f.ssrc === 200 && f.frame.data.byteLength === 3000),
      "byRid('h').every((f) => f.ssrc === 200 && f.frame.data.byteLength...",
    );
    const inbound = p.b.session.getStats(p.net.now).inbound;
    assert.deepEqual(inbound.map((s) => [s.rid, s.ssrc, s.rtxSsrc]).sort(), [
      ['h', 200, 201],
      ['q', 100, 101],
    ]);
    // writing without a rid is refused when there are several layers
    assert.equal(p.a.session.writeFrame(p.net.now, 'v', undefined, opusFrame(0)), false);
  });

  it('keeps streams across a reconfiguration that keeps their SSRC, and removes those it drops', () => {
    const spec: SectionSpec = {
      mid: 'v',
      kind: 'video',
      codecs: [VIDEO],
      a: [{ ssrc: 1 }],
      b: [{ ssrc: 5 }],
    };
    const p = pair([spec]);
    const wire = tap(p, 'a');
    videoSource(p.a, 'v');
    videoSource(p.b, 'v');
    p.a.schedule(500, () => p.a.session.configure(configs([spec]).a));
    p.b.schedule(1000, () => p.b.session.configure(configs([{ ...spec, a: [] }]).b)); // B stops receiving
    p.net.runFor(1500);
    const seqs = wire.rtp.filter((r) => r.ssrc === 1).map((r) => r.sequenceNumber);
    for (let k = 1; k < seqs.length; k++) assert.equal(seqs[k], (seqs[k - 1]! + 1) & 0xffff);
    assert.deepEqual(
      p.b.of('stream-removed').map((e) => [e.ssrc, e.reason]),
      [[1, 'reconfigured']],
    );
    assert.deepEqual(
      p.b.of('stream-added').map((e) => e.ssrc),
      [1],
    );
    // B's own sending was unaffected
    const fromB = p.a.of('frame').map((f) => frameIndex(f.frame.data));
    assert.ok(fromB.length >= 40, 'fromB.length >= 40');
    assert.ok(
      p.b.session.getStats(p.net.now).counters.notReceiving > 0,
      'p.b.session.getStats(p.net.now).counters.notReceiving > 0',
    );
  });
});
