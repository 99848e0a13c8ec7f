/**
 * Two MediaSessions exchange encoded frames over the simulated network: every frame arrives with the
 * content it was sent with, on the right mid and SSRC, with the negotiated payload type and extensions,
 * in both directions and for every SRTP profile; and the same through a real VP8 codec when node-av is here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../../src/common/bytes.js';
import { EncodedFrame } from '../../../src/media/encoded-frame.js';
import { Fraction } from '../../../src/media/time-base.js';
import { parseSdesItem } from '../../../src/rtp/header-extensions.js';
import { MediaSession } from '../../../src/rtp/media-session.js';
import type { FrameEvent } from '../../../src/rtp/media-session-types.js';
import { codec, EXT, keyPair, opusFrame, pair, sameBytes, tap, vp8Frame, WALL_A } from './harness.js';

const VIDEO = codec('vp8', 96, { nack: true, pli: true }, 97);
const AUDIO = codec('opus', 111, { transportCc: true });

describe('MediaSession frames', () => {
  for (const profileId of [1, 2, 7, 8]) {
    it(`delivers audio and video both ways with their content (SRTP profile ${profileId})`, () => {
      const p = pair(
        [
          { mid: '0', kind: 'audio', codecs: [AUDIO], a: [{ ssrc: 0x1111 }], b: [{ ssrc: 0x2222 }] },
          {
            mid: '1',
            kind: 'video',
            codecs: [VIDEO],
            a: [{ ssrc: 0x3333, rtxSsrc: 0x3334 }],
            b: [{ ssrc: 0x4444 }],
          },
        ],
        { profileId },
      );
      for (const [peer, offset] of [
        [p.a, 0],
        [p.b, 100],
      ] as const) {
        let i = 0;
        peer.schedule(
          0,
          (now) => {
            if (i < 50) peer.session.writeFrame(now, '0', undefined, opusFrame(i + offset));
            if (i % 2 === 0 && i < 50)
              peer.session.writeFrame(now, '1', undefined, vp8Frame(i / 2 + offset, 2500, i === 0));
            i++;
          },
          20,
        );
      }
      p.net.runFor(1500);
      for (const [receiver, offset, audioSsrc, videoSsrc] of [
        [p.b, 0, 0x1111, 0x3333],
        [p.a, 100, 0x2222, 0x4444],
      ] as const) {
        const frames = receiver.of('frame');
        const audio = frames.filter((f) => f.mid === '0');
        const video = frames.filter((f) => f.mid === '1');
        assert.equal(audio.length, 50);
        assert.equal(video.length, 25);
        audio.forEach((f, k) => {
          assert.equal(f.ssrc, audioSsrc);
          assert.equal(f.frame.codec, 'opus');
          assert.equal(toHex(f.frame.data), toHex(opusFrame(k + offset).data));
          assert.equal(f.frame.pts, k * 960); // counts from the first frame, on the codec clock
        });
        video.forEach((f, k) => {
          assert.equal(f.ssrc, videoSsrc);
          sameBytes(f.frame.data, vp8Frame(k + offset, 2500, k === 0).data, `video ${k}`);
          assert.equal(f.frame.keyframe, k === 0);
          assert.equal(f.frame.pts, k * 3000);
        });
        const added = receiver.of('stream-added').map((e) => [e.mid, e.ssrc]);
        assert.deepEqual(added.sort(), [
          ['0', audioSsrc],
          ['1', videoSsrc],
        ]);
        const stats = receiver.session.getStats(p.net.now);
        assert.equal(stats.counters.internalErrors, 0);
        assert.equal(stats.srtp?.inbound.authFailures, 0);
      }
    });
  }

  it('writes the negotiated payload type, mid, transport-wide sequence and abs-send-time; RTP timestamps are exact', () => {
    const p = pair([{ mid: 'v', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 10 }], signalled: false }]);
    const wire = tap(p, 'a');
    p.a.schedule(0, (now) => p.a.session.writeFrame(now, 'v', undefined, vp8Frame(0, 5000)));
    p.a.schedule(33, (now) => p.a.session.writeFrame(now, 'v', undefined, vp8Frame(1, 100)));
    p.net.runFor(200);
    assert.ok(wire.rtp.length >= 6, 'wire.rtp.length >= 6');
    const transportSeqs = wire.rtp.map((r) => {
      assert.equal(r.payloadType, 96);
      assert.equal(r.ssrc, 10);
      assert.equal(parseSdesItem(r.getExtension(EXT.mid)!), 'v');
      assert.ok(r.getExtension(EXT.absSendTime), 'r.getExtension(EXT.absSendTime)');
      const t = r.getExtension(EXT.transportWideCc)!;
      return (t[0]! << 8) | t[1]!;
    });
    const seqs = wire.rtp.map((r) => r.sequenceNumber);
    for (let i = 0; i < seqs.length; i++) {
      assert.equal(transportSeqs[i], (transportSeqs[0]! + i) & 0xffff);
      assert.equal(seqs[i], (seqs[0]! + i) & 0xffff);
    }
    // frame 1 is 3000 ticks after frame 0; the marker ends each frame
    const first = wire.rtp[0]!.timestamp;
    const last = wire.rtp[wire.rtp.length - 1]!;
    assert.equal((last.timestamp - first) >>> 0, 3000);
    assert.equal(last.marker, true);
    assert.equal(wire.rtp.filter((r) => r.marker).length, 2);
    // the receiver learned the SSRC from the MID extension
    assert.equal(p.b.of('frame').length, 2);
  });

  it('maps pts in any time base to the codec clock exactly', () => {
    const p = pair([{ mid: 'a', kind: 'audio', codecs: [AUDIO], a: [{ ssrc: 5 }] }]);
    const wire = tap(p, 'a');
    // 20 ms at 44.1 kHz (882 ticks) and 1/1000 s (20) are both 960 ticks of Opus' 48 kHz clock
    const data = opusFrame(0).data;
    const frames = [
      new EncodedFrame('opus', data, 0, new Fraction(1, 44100), true),
      new EncodedFrame('opus', data, 882, new Fraction(1, 44100), true),
      new EncodedFrame('opus', data, 40, new Fraction(1, 1000), true),
      new EncodedFrame('opus', data, 441_000 * 3 + 882, new Fraction(1, 44100), true),
    ];
    p.a.schedule(0, (now) => {
      for (const f of frames) assert.ok(p.a.session.writeFrame(now, 'a', undefined, f));
    });
    p.net.runFor(100);
    const ts = wire.rtp.map((r) => r.timestamp);
    assert.deepEqual(
      ts.map((t) => (t - ts[0]!) >>> 0),
      [0, 960, 1920, 48000 * 30 + 960],
    );
  });

  it('gives each frame its sender wall-clock capture time once a sender report arrived', () => {
    const p = pair([
      { mid: '0', kind: 'audio', codecs: [AUDIO], a: [{ ssrc: 1 }] },
      { mid: '1', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 2 }] },
    ]);
    let n = 0;
    p.a.schedule(
      0,
      (now) => {
        p.a.session.writeFrame(now, '0', undefined, opusFrame(n));
        if (n % 2 === 0) {
          const v = vp8Frame(n / 2, 1000, n === 0); // 40 ms apart: pts in steps of 3600 at 90 kHz
          p.a.session.writeFrame(
            now,
            '1',
            undefined,
            new EncodedFrame('vp8', v.data, n * 1800, v.timeBase, v.keyframe),
          );
        }
        n++;
      },
      20,
    );
    p.net.runFor(4000);
    const late = p.b.of('frame').filter((f) => f.senderCaptureTime !== undefined);
    assert.ok(late.length > 100, `${late.length} frames with a capture time`);
    for (const f of late) {
      // frames were written at pts-derived instants: 20 ms per audio frame, 40 ms per video frame
      const index = f.mid === '0' ? f.frame.pts / 960 : f.frame.pts / 1800;
      const sentAt = WALL_A + index * 20;
      assert.ok(
        Math.abs(f.senderCaptureTime! - sentAt) < 1,
        `${f.mid}: ${f.senderCaptureTime! - sentAt} ms off`,
      );
    }
    // audio and video captured at the same instant map to the same sender time
    const audioAt = new Map(late.filter((f) => f.mid === '0').map((f) => [f.frame.pts / 960, f]));
    for (const v of late.filter((f) => f.mid === '1')) {
      const a = audioAt.get(v.frame.pts / 1800);
      if (a) assert.ok(Math.abs(a.senderCaptureTime! - v.senderCaptureTime!) < 1);
    }
  });

  it('carries audio levels and CSRC-free sources for getSynchronizationSources', () => {
    const p = pair([{ mid: '0', kind: 'audio', codecs: [AUDIO], a: [{ ssrc: 0x1111 }] }]);
    let i = 0;
    p.a.schedule(
      0,
      (now) => {
        const level = i < 10 ? 127 : 20; // silence, then speech at -20 dBov
        p.a.session.writeFrame(now, '0', undefined, opusFrame(i++), {
          audioLevel: { voiceActivity: level < 127, level },
        });
      },
      20,
    );
    p.net.runFor(400);
    const sources = p.b.session.getSynchronizationSources(p.net.now, '0');
    assert.equal(sources.length, 1);
    const s = sources[0]!;
    assert.equal(s.source, 0x1111);
    assert.equal(s.voiceActivityFlag, true);
    assert.ok(Math.abs(s.audioLevel! - 0.1) < 1e-9, `level ${s.audioLevel}`); // 10^(-20/20)
    assert.ok(p.net.now - s.timestamp < 25, 'recent');
    assert.deepEqual(p.b.session.getContributingSources(p.net.now, '0'), []);
    // forgotten after 10 s without packets
    p.a.stopActions();
    p.net.runFor(10_500);
    assert.deepEqual(p.b.session.getSynchronizationSources(p.net.now, '0'), []);
  });

  it('refuses frames it cannot send, without throwing', () => {
    const keys = keyPair();
    const session = new MediaSession({ wallClockAtZero: 0, cname: 'x' });
    assert.equal(session.writeFrame(0, '0', undefined, opusFrame(0)), false); // no config, no keys
    session.configure({
      media: [
        {
          mid: '0',
          kind: 'audio',
          direction: 'recvonly',
          sendCodecs: [AUDIO],
          receiveCodecs: [AUDIO],
          extensions: {},
          rtcpReducedSize: true,
          sendEncodings: [],
          receiveSsrcs: [],
          receiveRids: [],
        },
      ],
    });
    session.setKeys(0, keys.a);
    assert.equal(session.writeFrame(0, '0', undefined, opusFrame(0)), false); // not sending
    assert.equal(session.writeFrame(0, 'nope', undefined, opusFrame(0)), false);
    assert.equal(session.getStats(0).counters.framesRefused, 3);
  });
});

describe('MediaSession with a real codec', () => {
  it('carries VP8 from an encoder to a decoder through two sessions', async (t) => {
    const { requireNodeAv } = await import('../../media/node-av-available.js');
    if (!(await requireNodeAv(t))) return;
    const { createVideoDecoder, createVideoEncoder } = await import('../../../src/media/codecs/index.js');
    const { VideoFrame } = await import('../../../src/media/video-frame.js');
    const encoder = createVideoEncoder('vp8', { bitrate: 300_000 });
    const decoder = createVideoDecoder('vp8');
    try {
      const encoded: EncodedFrame[] = [];
      for (let i = 0; i < 10; i++) {
        const frame = new VideoFrame(160, 120, 'yuv420p');
        const y = frame.planes[0]!.data;
        for (let k = 0; k < y.byteLength; k++) y[k] = (k + i * 10) & 0xff;
        frame.pts = i * 3000;
        frame.timeBase = new Fraction(1, 90000);
        encoded.push(...(await encoder.encode(frame)));
      }
      assert.ok(encoded.length >= 5, 'encoded.length >= 5');
      const p = pair([{ mid: '0', kind: 'video', codecs: [VIDEO], a: [{ ssrc: 9 }] }], {
        conditions: { loss: 0.05 },
      });
      encoded.forEach((f, i) => {
        p.a.schedule(i * 33, (now) => p.a.session.writeFrame(now, '0', undefined, f));
      });
      p.net.runFor(2000);
      const got = p.b.of('frame') as FrameEvent[];
      assert.equal(got.length, encoded.length);
      for (const [i, f] of got.entries()) sameBytes(f.frame.data, encoded[i]!.data, `frame ${i}`);
      let decoded = 0;
      for (const f of got) decoded += (await decoder.decode(f.frame)).length;
      assert.equal(decoded, encoded.length);
    } finally {
      encoder.close();
      decoder.close();
    }
  });
});
