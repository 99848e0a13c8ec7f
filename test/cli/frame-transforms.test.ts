/**
 * The server's video transforms, each measured on known pictures, in TypeScript and as FFmpeg filter graphs
 * (when node-av is there): none, mirror, edges, cartoon, rotate; VideoTransformTrack keeps timing, marks the
 * corner and falls back to TypeScript when asked. And the waving flag of videostream-cli.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { VideoTransformTrack } from '../../src/cli/demo-tracks.js';
import { FfmpegVideoFilter } from '../../src/cli/ffmpeg-filter.js';
import { FlagVideoStreamTrack, flagFramesBgr } from '../../src/cli/flag-track.js';
import {
  FFMPEG_GRAPHS,
  transformInTypeScript,
  VIDEO_TRANSFORMS,
  type VideoTransform,
} from '../../src/cli/frame-transforms.js';
import { isNodeAvAvailable } from '../../src/media/codecs/node-av.js';
import { Fraction } from '../../src/media/time-base.js';
import { VideoFrame } from '../../src/media/video-frame.js';
import { assertColour, pixel, ScriptedTrack } from '../contrib/media-fixtures.js';
import { FakeClock } from '../media/fake-clock.js';
import { LEFT, RIGHT } from './media-check.js';

const W = 320;
const H = 240;

/** Left half LEFT, right half RIGHT, at `seconds` on the 90 kHz clock. */
function halves(seconds = 0): VideoFrame {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set(x < W / 2 ? LEFT : RIGHT, (y * W + x) * 3);
  const frame = VideoFrame.fromBytes(rgb, W, H, 'rgb24').reformat({ format: 'yuv420p' });
  frame.pts = Math.round(seconds * 90000);
  frame.timeBase = new Fraction(1, 90000);
  return frame;
}

function flag(): VideoFrame {
  const frame = VideoFrame.fromBytes(flagFramesBgr()[7]!, 640, 480, 'bgr24').reformat({ format: 'yuv420p' });
  frame.pts = 0;
  frame.timeBase = new Fraction(1, 90000);
  return frame;
}

const grey = (p: [number, number, number]): number => (p[0] + p[1] + p[2]) / 3;
const rowExtreme = (f: VideoFrame, y: number, x0: number, x1: number, pick: 'max' | 'min'): number => {
  let out = pick === 'max' ? 0 : 255;
  for (let x = x0; x <= x1; x++) out = Math[pick](out, grey(pixel(f, x, y)));
  return out;
};

type Engine = 'typescript' | 'ffmpeg';

async function apply(engine: Engine, frame: VideoFrame, transform: VideoTransform): Promise<VideoFrame> {
  if (engine === 'typescript' || transform === 'none') {
    const seconds = Number(frame.timeBase!.mul(frame.pts!));
    return transformInTypeScript(frame, transform, seconds);
  }
  const filter = await FfmpegVideoFilter.open(FFMPEG_GRAPHS[transform]);
  try {
    const [out] = await filter.filter(frame);
    assert.ok(out, 'the graph gave a frame');
    assert.equal(out.pts, frame.pts);
    return out;
  } finally {
    filter.close();
  }
}

const hasFfmpeg = await isNodeAvAvailable();

function engines(t: TestContext): Engine[] {
  if (hasFfmpeg) return ['typescript', 'ffmpeg'];
  if (process.env.CI) throw new Error('node-av is required in CI');
  t.diagnostic('node-av missing: FFmpeg filter graphs not tested');
  return ['typescript'];
}

describe('video transforms, TypeScript and FFmpeg', () => {
  it('none keeps the picture; mirror swaps left and right', async (t) => {
    for (const engine of engines(t)) {
      const same = await apply(engine, halves(), 'none');
      assertColour(pixel(same, 80, 120), [...LEFT], 8);
      const mirrored = await apply(engine, halves(), 'mirror');
      assertColour(pixel(mirrored, 80, 120), [...RIGHT], 8);
      assertColour(pixel(mirrored, 240, 120), [...LEFT], 8);
    }
  });

  it('edges: flat areas black, the outline of the flag bright', async (t) => {
    for (const engine of engines(t)) {
      const out = await apply(engine, flag(), 'edges');
      assert.ok(grey(pixel(out, 320, 240)) < 30, `${engine}: the white stripe's middle is dark`);
      assert.ok(grey(pixel(out, 40, 40)) < 30, `${engine}: the black background stays dark`);
      // The outline of the flag (about 1000 px around). Canny (FFmpeg's, as OpenCV's in aiortc) leaves out
      // weak steps (blue on black) and perfectly sharp ones whose two sides are equal, so count, not trace.
      const rgb = out.reformat({ format: 'rgb24' });
      const p = rgb.planes[0]!;
      let bright = 0;
      for (let y = 0; y < 480; y++)
        for (let x = 0; x < 640; x++) if (p.data[y * p.lineSize + x * 3]! > 128) bright++;
      assert.ok(bright > 400 && bright < 20_000, `${engine}: ${bright} bright pixels`);
    }
  });

  it('cartoon: flat colours kept, a dark outline where they meet', async (t) => {
    for (const engine of engines(t)) {
      const out = await apply(engine, halves(), 'cartoon');
      assertColour(pixel(out, 60, 120), [...LEFT], 40);
      assertColour(pixel(out, 260, 120), [...RIGHT], 40);
      const outline = rowExtreme(out, 120, 150, 170, 'min');
      assert.ok(outline < 50, `${engine}: outline at the boundary (${outline})`);
    }
  });

  it('rotate: 45° a second counter-clockwise; half a turn after 4 s', async (t) => {
    for (const engine of engines(t)) {
      const start = await apply(engine, halves(0), 'rotate');
      assertColour(pixel(start, 80, 120), [...LEFT], 12);
      const half = await apply(engine, halves(4), 'rotate');
      assertColour(pixel(half, 80, 120), [...RIGHT], 12);
      assertColour(pixel(half, 240, 120), [...LEFT], 12);
      // A quarter turn counter-clockwise: the left half goes to the bottom, corners come in black.
      const quarter = await apply(engine, halves(2), 'rotate');
      assertColour(pixel(quarter, 160, 200), [...LEFT], 16);
      assertColour(pixel(quarter, 160, 40), [...RIGHT], 16);
      assert.ok(grey(pixel(quarter, 5, 5)) < 30, `${engine}: black corner`);
    }
  });
});

describe('VideoTransformTrack', () => {
  for (const engine of ['typescript', 'ffmpeg'] as const) {
    it(`${engine}: every transform keeps pts and time base and paints the magenta mark`, async (t) => {
      if (engine === 'ffmpeg' && !hasFfmpeg) {
        if (process.env.CI) throw new Error('node-av is required in CI');
        t.skip('node-av missing');
        return;
      }
      for (const transform of VIDEO_TRANSFORMS) {
        const frames = [halves(0), halves(1 / 30)];
        const track = new VideoTransformTrack(new ScriptedTrack('video', frames), transform, engine);
        for (const expected of frames) {
          const out = (await track.recv()) as VideoFrame;
          assert.equal(out.pts, expected.pts);
          assert.equal(out.timeBase, expected.timeBase);
          assertColour(pixel(out, 4, 4), [255, 0, 255], 40);
        }
        assert.equal(track.engineInUse, transform === 'none' ? 'typescript' : engine);
        await assert.rejects(track.recv());
        assert.equal(track.readyState, 'ended', 'the source ended, so did the transform');
      }
    });
  }
});

describe('VideoTransformTrack without node-av', () => {
  it("engine 'ffmpeg': recv() fails with CodecUnavailableError, and stop() afterwards leaves no unhandled rejection", () => {
    // A process where node-av cannot load: the filter never opens. stop() used to chain on the failed
    // filter without a handler, and the process died of the unhandled rejection after the test's work ended.
    const script = `
      const { VideoTransformTrack } = await import('./src/cli/demo-tracks.ts');
      const { VideoStreamTrack } = await import('./src/media/stream-tracks.ts');
      const source = new VideoStreamTrack();
      const track = new VideoTransformTrack(source, 'edges', 'ffmpeg');
      const failure = await track.recv().then(() => 'recv resolved', (e) => e.name);
      track.stop();
      source.stop();
      await new Promise((r) => setTimeout(r, 50));
      console.log(failure);
    `;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './test/media/block-node-av.mjs', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'CodecUnavailableError');
  });
});

describe('FlagVideoStreamTrack (aiortc videostream-cli pattern)', () => {
  it('30 fps on the 90 kHz clock, 640×480, blue, white and red stripes on black', async () => {
    const clock = new FakeClock();
    const track = new FlagVideoStreamTrack({ clock });
    const frames: VideoFrame[] = [];
    for (let i = 0; i < 3; i++) frames.push(await track.recv());
    assert.deepEqual(clock.sleeps.map(Math.round), [33, 33], 'paced at 30 fps');
    assert.deepEqual(
      frames.map((f) => f.pts),
      [0, 3000, 6000],
    );
    const f = frames[0]!;
    assert.equal(f.width, 640);
    assert.equal(f.height, 480);
    assertColour(pixel(f, 20, 20), [0, 0, 0], 4);
    assertColour(pixel(f, 213, 240), [0, 0, 255], 8);
    assertColour(pixel(f, 320, 240), [255, 255, 255], 8);
    assertColour(pixel(f, 427, 240), [255, 0, 0], 8);
    // The flag waves: two frames a third of a second apart differ along the flag's top edge.
    assert.notDeepEqual(pixel(frames[0]!, 250, 125), pixel(frames[2]!, 250, 125));
  });
});
