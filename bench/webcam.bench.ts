/**
 * `webcam` with 10 viewers: the server's CPU when every viewer shares one encode (MediaRelay + EncodedFanout, the
 * default) against each viewer's sender encoding for itself (aiortc's way, `--encode-per-viewer`), as a ratio.
 *
 *   npm run bench -- webcam
 *
 * The source is a 640×480 30 fps testsrc2 file, decoded once and looped; the viewers are tsrtc peer connections
 * in a child process (their decoding is not counted). After a warm-up, the server process's CPU time is read
 * over 10 s with process.cpuUsage(), and the frames its senders sent (getStats framesSent) over the same time:
 * CPU per second (cores) and CPU per frame delivered. Two alternating rounds per mode; the lower CPU counts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebcamServer } from '../src/cli/webcam.js';
import { isNodeAvAvailable } from '../src/media/codecs/node-av.js';

const VIEWERS = 10;
const MEASURE_MS = 10_000;
const ROUNDS = 2;
const print = (o: Record<string, unknown>): void => console.log(JSON.stringify({ bench: 'webcam', ...o }));
const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d;

if (!(await isNodeAvAvailable()) || spawnSync('ffmpeg', ['-version']).status !== 0) {
  print({ name: 'skipped', reason: 'node-av and the ffmpeg CLI are needed' });
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'tsrtc-webcam-bench-'));
const source = join(dir, 'source.mp4');
spawnSync('ffmpeg', [
  ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30'],
  ...['-t', '20', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-pix_fmt', 'yuv420p', source],
]);
const viewersScript = fileURLToPath(new URL('./webcam-viewers.ts', import.meta.url));

interface Measured {
  cpuCores: number;
  framesPerSecond: number;
  cpuMsPerFrame: number;
  encodes: number;
}

async function framesSent(server: Awaited<ReturnType<typeof startWebcamServer>>): Promise<number> {
  let total = 0;
  for (const pc of server.viewers) {
    for (const s of (await pc.getStats()).values())
      if (s.type === 'outbound-rtp') total += Number(s.framesSent ?? 0);
  }
  return total;
}

async function measure(encodePerViewer: boolean): Promise<Measured> {
  const server = await startWebcamServer({ port: 0, playFrom: source, loop: true, encodePerViewer });
  const child = spawn(process.execPath, ['--import', 'tsx', viewersScript, server.url, String(VIEWERS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`viewers exited with ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 3000));
    const frames0 = await framesSent(server);
    const encodes0 = server.media.stats().encoders.reduce((n, e) => n + e.framesEncoded, 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    const frames = (await framesSent(server)) - frames0;
    const encodes = server.media.stats().encoders.reduce((n, e) => n + e.framesEncoded, 0) - encodes0;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      cpuCores: cpuMs / 1000 / seconds,
      framesPerSecond: frames / seconds,
      cpuMsPerFrame: cpuMs / Math.max(1, frames),
      encodes: encodePerViewer ? frames / seconds : encodes / seconds,
    };
  } finally {
    child.kill('SIGKILL');
    await server.close();
  }
}

const best: Record<'once' | 'perViewer', Measured | undefined> = { once: undefined, perViewer: undefined };
for (let i = 0; i < ROUNDS; i++) {
  for (const mode of ['perViewer', 'once'] as const) {
    const m = await measure(mode === 'perViewer');
    if (!best[mode] || m.cpuMsPerFrame < best[mode].cpuMsPerFrame) best[mode] = m;
  }
}
const once = best.once!;
const perViewer = best.perViewer!;
print({
  name: `webcam, ${VIEWERS} viewers, 640x480 30 fps VP8: server CPU, encode once vs encode per viewer`,
  encode_once_cpu_cores: round(once.cpuCores),
  encode_per_viewer_cpu_cores: round(perViewer.cpuCores),
  encode_once_frames_sent_per_s: round(once.framesPerSecond, 0),
  encode_per_viewer_frames_sent_per_s: round(perViewer.framesPerSecond, 0),
  encode_once_encodes_per_s: round(once.encodes, 0),
  encode_once_cpu_ms_per_frame_sent: round(once.cpuMsPerFrame, 3),
  encode_per_viewer_cpu_ms_per_frame_sent: round(perViewer.cpuMsPerFrame, 3),
  ratio: round(perViewer.cpuMsPerFrame / once.cpuMsPerFrame),
});
rmSync(dir, { recursive: true, force: true });
process.exit(0);
