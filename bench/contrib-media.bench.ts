/**
 * The media helpers, one JSON line per result, each with a same-run reference:
 *
 *   npm run bench -- contrib-media
 *
 * - MediaPlayer(decode: false) → MediaRecorder remux of a 60 s 720p H.264 MP4, against `ffmpeg -c copy` (its
 *   -benchmark rtime, so process start-up is excluded on its side; tsrtc's time includes opening both files);
 * - MediaRelay with 1, 10 and 100 subscribers: CPU per frame per subscriber against a consumer pulling the source
 *   directly, and heap per subscriber that has fallen behind (its bounded queue);
 * - swscale/swresample against the TypeScript conversions at 720p (and 48 kHz audio).
 *
 * Best of three alternating runs: the machine is shared, single runs move by 2×.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MediaPlayer, MediaRecorder, MediaRelay } from '../src/contrib/media/index.js';
import { AudioFrame } from '../src/media/audio-frame.js';
import { AudioResampler } from '../src/media/audio-resampler.js';
import { isNodeAvAvailable } from '../src/media/codecs/node-av.js';
import { disableNativeConversion, enableNativeConversion } from '../src/media/native-convert.js';
import { Fraction } from '../src/media/time-base.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../src/media/track.js';
import { VideoFrame } from '../src/media/video-frame.js';

const dir = mkdtempSync(join(tmpdir(), 'tsrtc-contrib-media-bench-'));
const print = (o: Record<string, unknown>): void =>
  console.log(JSON.stringify({ bench: 'contrib-media', ...o }));
const REPEATS = 3;
const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function ffmpeg(args: string[]): number {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-benchmark', '-y', ...args], {
    encoding: 'utf8',
  });
  const m = /rtime=([\d.]+)s/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`ffmpeg failed: ${r.stderr.slice(-500)}`);
  return Number(m[1]) * 1000;
}

async function remux(): Promise<void> {
  const input = join(dir, 'in.mp4');
  spawnSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30'],
    ...['-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-pix_fmt', 'yuv420p', input],
  ]);
  let ours = Number.POSITIVE_INFINITY;
  let theirs = Number.POSITIVE_INFINITY;
  // One warm-up run each (page cache, JIT), then the best of three.
  for (let i = -1; i < REPEATS; i++) {
    theirs = Math.min(theirs, ffmpeg(['-i', input, '-c', 'copy', join(dir, 'ffmpeg.mp4')]));
    const start = performance.now();
    const player = await MediaPlayer.open(input, { decode: false, realtime: false });
    const recorder = new MediaRecorder(join(dir, 'tsrtc.mp4'));
    recorder.addTrack(player.video!);
    await recorder.start();
    await recorder.finished;
    ours = Math.min(ours, performance.now() - start);
    if (recorder.error) throw recorder.error;
  }
  print({
    name: 'remux 60 s 720p H.264 MP4 → MP4 (1800 frames, 56 MB)',
    tsrtc_ms: round(ours, 0),
    ffmpeg_copy_ms: round(theirs, 0),
    ratio: round(ours / theirs),
    tsrtc_x_realtime: round(60_000 / ours, 0),
  });
}

/**
 * A source that makes frames as fast as it is pulled: 640×480 yuv420p, each with planes of its own (as a
 * decoder's would be, 460 kB), or sharing one set when `shared` (to time the relay alone).
 */
class FastSource extends MediaStreamTrack {
  private readonly template = new VideoFrame(640, 480);
  private n = 0;
  constructor(
    private readonly limit: number,
    private readonly shared = true,
  ) {
    super();
  }
  override get kind(): MediaKind {
    return 'video';
  }
  async recv(): Promise<MediaFrame> {
    this.assertLive();
    if (this.n >= this.limit) {
      this.stop();
      this.assertLive();
    }
    const frame = this.shared
      ? new VideoFrame(640, 480, 'yuv420p', this.template.planes)
      : new VideoFrame(640, 480);
    frame.pts = this.n++ * 3000;
    frame.timeBase = new Fraction(1, 90000);
    return frame;
  }
}

async function consume(track: MediaStreamTrack): Promise<number> {
  let frames = 0;
  try {
    for (;;) {
      await track.recv();
      frames++;
    }
  } catch {
    return frames;
  }
}

function heapAndBuffers(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function relay(): Promise<void> {
  const FRAMES = 3000;
  const directRun = async (): Promise<number> => {
    const cpu = process.cpuUsage();
    await consume(new FastSource(FRAMES));
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / FRAMES;
  };
  await directRun(); // warm-up
  for (const subscribers of [1, 10, 100]) {
    let perDelivery = Number.POSITIVE_INFINITY;
    let direct = Number.POSITIVE_INFINITY;
    for (let i = 0; i < REPEATS; i++) {
      // Reference: one consumer pulling the source directly (alternating with the relay runs).
      direct = Math.min(direct, await directRun());
      const source = new FastSource(FRAMES);
      const r = new MediaRelay();
      const tracks = Array.from({ length: subscribers }, () => r.subscribe(source));
      const cpu = process.cpuUsage();
      const counts = await Promise.all(tracks.map(consume));
      const used = process.cpuUsage(cpu);
      const delivered = counts.reduce((a, b) => a + b, 0);
      perDelivery = Math.min(perDelivery, (used.user + used.system) / delivered);
    }
    // Memory: frames of their own (460 kB each); one subscriber pulls 300 frames, the others never pull. Each
    // stalled subscriber keeps its newest 30 frames, the same frame objects for all of them.
    const source = new FastSource(1000, false);
    const r = new MediaRelay();
    const fast = r.subscribe(source);
    const stalled = Array.from({ length: subscribers }, () => r.subscribe(source));
    for (let i = 0; i < 300; i++) await fast.recv();
    const held = heapAndBuffers();
    for (const t of stalled) t.stop();
    const released = heapAndBuffers();
    const retained = held - released;
    print({
      name: `MediaRelay, ${subscribers} subscriber${subscribers > 1 ? 's' : ''}, 640×480 frames`,
      cpu_us_per_frame_per_subscriber: round(perDelivery),
      direct_pull_cpu_us_per_frame: round(direct),
      ratio: round(perDelivery / direct),
      stalled_subscribers_retain_mb: round(retained / 1e6, 1),
      retained_kb_per_stalled_subscriber: round(retained / subscribers / 1e3, 1),
      frames_dropped_per_stalled_subscriber: stalled[0]!.framesDropped,
    });
    fast.stop();
  }
}

/** Median time of one call, over `iterations` calls (the median resists the load spikes of a shared machine). */
function median(fn: () => void, iterations: number): number {
  fn(); // warm-up (contexts, JIT)
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** Native and TypeScript alternately, three rounds; the best median of each. */
async function compare(
  fn: () => void,
  nativeIterations: number,
  tsIterations: number,
): Promise<[number, number]> {
  let native = Number.POSITIVE_INFINITY;
  let typescript = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPEATS; r++) {
    await enableNativeConversion();
    native = Math.min(native, median(fn, nativeIterations));
    disableNativeConversion();
    typescript = Math.min(typescript, median(fn, tsIterations));
  }
  return [native, typescript];
}

async function conversion(): Promise<void> {
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=1', '-frames:v', '1'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { maxBuffer: 1 << 26 },
  );
  const rgb = VideoFrame.fromBytes(new Uint8Array(r.stdout), 1280, 720, 'rgb24');
  const yuv = rgb.reformat({ format: 'yuv420p' });
  const cases: [string, () => void][] = [
    ['rgb24 → yuv420p 1280×720', () => rgb.reformat({ format: 'yuv420p' })],
    ['yuv420p → rgb24 1280×720', () => yuv.reformat({ format: 'rgb24' })],
    ['yuv420p → nv12 1280×720', () => yuv.reformat({ format: 'nv12' })],
    ['yuv420p 1280×720 → 640×360', () => yuv.reformat({ width: 640, height: 360 })],
  ];
  for (const [name, fn] of cases) {
    const [native, typescript] = await compare(fn, 21, 7);
    print({
      name: `reformat ${name}`,
      swscale_ms: round(native),
      typescript_ms: round(typescript),
      ratio: round(typescript / native, 1),
    });
  }
  const stereo = Array.from({ length: 50 }, (_, i) => {
    const f = new AudioFrame({ format: 's16', layout: 'stereo', samples: 960, sampleRate: 48000 });
    f.pts = i * 960;
    return f;
  });
  const resample = (): void => {
    const resampler = new AudioResampler({ format: 's16', layout: 'mono', rate: 16000 });
    for (const f of stereo) resampler.resample(f);
  };
  const [native, typescript] = await compare(resample, 11, 5);
  print({
    name: 'resample 1 s of 48 kHz stereo s16 → 16 kHz mono',
    swresample_ms: round(native),
    typescript_ms: round(typescript),
    ratio: round(typescript / native, 1),
    swresample_x_realtime: round(1000 / native, 0),
  });
}

if (!(await isNodeAvAvailable()) || spawnSync('ffmpeg', ['-version']).status !== 0) {
  print({ name: 'skipped', reason: 'node-av or the ffmpeg CLI is missing' });
} else {
  try {
    await remux();
    await relay();
    await conversion();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
