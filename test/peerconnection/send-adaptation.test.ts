import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AdaptationInput,
  BandwidthAdaptation,
  type RTCDegradationPreference,
} from '../../src/peerconnection/send-adaptation.js';

/** Feed one frame every 33 ms for `ms`, returning the decisions. */
function run(
  a: BandwidthAdaptation,
  from: number,
  ms: number,
  input: Partial<AdaptationInput>,
): { at: number; skip: boolean; width: number; height: number }[] {
  const out = [];
  for (let t = from; t < from + ms; t += 33) {
    const d = a.decide({
      width: 640,
      height: 480,
      framesPerSecond: 30,
      targetBitrate: 1_000_000,
      pressure: false,
      preference: 'balanced',
      now: t,
      ...input,
    });
    out.push({ at: t, ...d });
  }
  return out;
}

describe('bandwidth adaptation of a video layer', () => {
  it('keeps the configured size while the target carries it', () => {
    const a = new BandwidthAdaptation();
    const frames = run(a, 0, 5000, { targetBitrate: 600_000 });
    assert.ok(frames.every((f) => f.width === 640 && f.height === 480 && !f.skip));
    assert.equal(a.qualityLimitationReason, 'none');
    assert.equal(a.resolutionChanges, 0);
  });

  it('steps down at most once a second under a low target, and back up with headroom after 4 s', () => {
    const a = new BandwidthAdaptation();
    // 100 kbit/s: 640×480×30×0.03 = 276k needed; 320×240 needs 69k — two steps (1.5, then 2).
    const low = run(a, 0, 5000, { targetBitrate: 100_000 });
    const widths = [...new Set(low.map((f) => f.width))];
    assert.deepEqual(widths, [426, 320], 'one step at a time: 640/1.5, then 640/2');
    const firstSmall = low.find((f) => f.width === 320)!.at;
    assert.ok(firstSmall >= 1000, `second step came ${firstSmall} ms after the first`);
    assert.equal(a.qualityLimitationReason, 'bandwidth');
    assert.equal(a.resolutionChanges, 2);
    // 300k covers 426×320 (122k × 1.5 headroom) but not 640×480 with headroom (414k).
    const mid = run(a, 5000, 10_000, { targetBitrate: 300_000 });
    assert.equal(mid.at(-1)!.width, 426, 'one step back up');
    assert.ok(!mid.some((f) => f.width === 640), 'not to 640×480 without headroom');
    const upFrom320 = mid.find((f) => f.width === 426)!.at;
    assert.ok(upFrom320 - firstSmall >= 4000, 'the step up waits 4 s after the last change');
    const high = run(a, 15_000, 10_000, { targetBitrate: 2_000_000 });
    assert.equal(high.at(-1)!.width, 640);
    const upAt = high.find((f) => f.width === 640)!.at;
    assert.ok(upAt - upFrom320 >= 4000, 'steps up no sooner than 4 s apart');
    assert.equal(a.qualityLimitationReason, 'none');
  });

  it('never scales below 160 pixels wide', () => {
    const a = new BandwidthAdaptation();
    const frames = run(a, 0, 20_000, { targetBitrate: 10_000, width: 320, height: 240 });
    assert.ok(frames.every((f) => f.width >= 160));
  });

  const pressureCases: [RTCDegradationPreference, (f: { skip: boolean; width: number }[]) => void][] = [
    [
      'maintain-resolution',
      (f) => {
        assert.ok(f.every((x) => x.skip));
        assert.ok(f.every((x) => x.width === 640));
      },
    ],
    [
      'maintain-framerate',
      (f) => {
        assert.ok(f.every((x) => !x.skip));
        assert.ok(f.at(-1)!.width < 640, 'smaller picture under pressure');
      },
    ],
    [
      'balanced',
      (f) => {
        const skipped = f.filter((x) => x.skip).length;
        assert.ok(Math.abs(skipped - f.length / 2) <= 1, `half the frames skipped (${skipped}/${f.length})`);
        assert.ok(f.at(-1)!.width < 640);
      },
    ],
    [
      'maintain-framerate-and-resolution',
      (f) => {
        assert.ok(f.every((x) => !x.skip && x.width === 640));
      },
    ],
  ];
  for (const [preference, check] of pressureCases) {
    it(`under send pressure with ${preference}`, () => {
      const a = new BandwidthAdaptation();
      const frames = run(a, 0, 2000, { pressure: true, preference, targetBitrate: 5_000_000 });
      check(frames);
      // pressure gone: frames flow again
      const after = run(a, 2000, 500, { pressure: false, preference, targetBitrate: 5_000_000 });
      assert.ok(after.every((x) => !x.skip));
    });
  }
});
