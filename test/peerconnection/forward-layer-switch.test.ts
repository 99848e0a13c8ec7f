/**
 * The LayerSwitch engine alone (no I/O, no codecs): layers are entered only at their keyframes, the current
 * layer flows until then, a gap resumes at a keyframe, and pts stay continuous across layer and source
 * switches whatever each layer's own pts origin.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EncodedFrame } from '../../src/media/encoded-frame.js';
import { Fraction } from '../../src/media/time-base.js';
import { LayerSwitch } from '../../src/rtp/forward/layer-switch.js';

const TB = new Fraction(1, 90_000);

/** Three layers, 30 fps, each with its own pts origin (as receive streams count from their first frame). */
function frame(layer: string, n: number, keyframe = false): EncodedFrame {
  const origin = { q: 0, h: 1_000_000, f: 7_777 }[layer] ?? 0;
  return new EncodedFrame('vp8', new Uint8Array([n & 0xff]), origin + n * 3000, TB, keyframe);
}

describe('LayerSwitch', () => {
  it('starts at a keyframe of the target and drops the other layers', () => {
    const s = new LayerSwitch();
    assert.equal(s.setTarget('f'), true);
    assert.deepEqual(s.keyframeWanted, { layer: 'f' });
    assert.equal(s.accept('f', frame('f', 0), 0), undefined, 'a delta frame cannot start');
    assert.equal(s.accept('q', frame('q', 1, true), 33), undefined, 'another layer');
    const first = s.accept('f', frame('f', 2, true), 66);
    assert.ok(first);
    assert.equal(first.pts, frame('f', 2).pts, 'the first layer keeps its own pts');
    assert.equal(s.current, 'f');
    assert.equal(s.keyframeWanted, undefined);
    assert.ok(s.accept('f', frame('f', 3), 100));
    assert.equal(s.accept('h', frame('h', 3), 100), undefined);
  });

  it('keeps the current layer flowing until the new one has a keyframe, then continues its timeline', () => {
    const s = new LayerSwitch();
    s.setTarget('f');
    const out: EncodedFrame[] = [];
    let t = 0;
    const feed = (n: number, keyframes: Record<string, boolean> = {}) => {
      t = (n * 100) / 3; // 30 fps exactly
      for (const layer of ['q', 'h', 'f']) {
        const r = s.accept(layer, frame(layer, n, keyframes[layer] ?? false), t);
        if (r) out.push(r);
      }
    };
    feed(0, { q: true, h: true, f: true });
    feed(1);
    assert.equal(s.setTarget('q'), true);
    assert.deepEqual(s.keyframeWanted, { layer: 'q' });
    feed(2);
    feed(3);
    assert.equal(out.length, 4, 'f flowed while waiting for q');
    feed(4, { q: true });
    assert.equal(s.current, 'q');
    feed(5);
    assert.equal(out.length, 6);
    for (let i = 1; i < out.length; i++) assert.equal(out[i]!.pts - out[i - 1]!.pts, 3000, `frame ${i}`);
    assert.equal(s.stats.switches, 1);
    assert.equal(out[4]!.keyframe, true);
  });

  it('after a gap waits for a keyframe of the current layer, keeping the offset', () => {
    const s = new LayerSwitch();
    s.setTarget('h');
    const a = s.accept('h', frame('h', 0, true), 0)!;
    s.skipToKeyframe();
    assert.deepEqual(s.keyframeWanted, { layer: 'h' });
    assert.equal(s.accept('h', frame('h', 1), 33), undefined);
    const b = s.accept('h', frame('h', 2, true), 66)!;
    assert.equal(b.pts - a.pts, 6000, 'a gap of two frames, not a rebase');
    assert.equal(s.stats.framesDropped, 1);
  });

  it('a restarted source (another pts origin) continues one arrival gap after the last frame', () => {
    const s = new LayerSwitch();
    s.setTarget(undefined);
    const a = s.accept(undefined, new EncodedFrame('vp8', new Uint8Array(1), 900_000, TB, true), 1000)!;
    s.restart();
    assert.equal(
      s.accept(undefined, new EncodedFrame('vp8', new Uint8Array(1), 5, TB, false), 1040),
      undefined,
    );
    const b = s.accept(undefined, new EncodedFrame('vp8', new Uint8Array(1), 10, TB, true), 1100)!;
    assert.equal(b.pts - a.pts, 9000, '100 ms at 90 kHz after the last frame');
    const c = s.accept(undefined, new EncodedFrame('vp8', new Uint8Array(1), 3010, TB, false), 1133)!;
    assert.equal(c.pts - b.pts, 3000);
  });

  it('passes the frame object itself when no offset applies (no copy)', () => {
    const s = new LayerSwitch();
    s.setTarget(undefined);
    const f = frame('q', 0, true);
    assert.equal(s.accept(undefined, f, 0), f);
  });
});
