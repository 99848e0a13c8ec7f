/**
 * Bad input for the media helpers: missing, unreadable, truncated and corrupted inputs, a source that vanishes
 * mid-stream, unknown formats, outputs that cannot be written or fill up. Each gives an error naming the file
 * and the reason, tracks that end cleanly, no unhandled rejection, and no half-written file without a log line.
 * Network inputs use 127.0.0.1 only (run inside netns.sh).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { refreshLogConfig } from '../../src/common/logger.js';
import { MediaFileError, MediaPlayer, MediaRecorder } from '../../src/contrib/media/index.js';
import { MediaStreamError } from '../../src/media/errors.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { localPorts } from '../media/ffmpeg-rtp.js';
import {
  drain,
  ffmpeg,
  noUnhandledRejection,
  requireMedia,
  ScriptedTrack,
  TWO_COLOURS_AND_TONE,
  tempDir,
} from './media-fixtures.js';

const { dir, cleanup } = tempDir('media-errors');
after(cleanup);
const path = (name: string): string => join(dir, name);

before(() => {
  try {
    const av = TWO_COLOURS_AND_TONE;
    ffmpeg([...av, '-t', '2', '-c:v', 'libx264', '-g', '10', '-c:a', 'aac', path('whole.mp4')]);
    ffmpeg([...av, '-t', '2', '-c:v', 'libx264', '-g', '10', '-c:a', 'aac', path('whole.ts')]);
    ffmpeg([...av, '-t', '2', '-c:v', 'libvpx', '-g', '10', '-c:a', 'libopus', path('whole.webm')]);
    const mp4 = readFileSync(path('whole.mp4'));
    writeFileSync(path('truncated.mp4'), mp4.subarray(0, mp4.byteLength >> 1)); // moov at the end: lost
    const ts = readFileSync(path('whole.ts'));
    writeFileSync(path('truncated.ts'), ts.subarray(0, ts.byteLength >> 1));
    const corrupt = Buffer.from(ts);
    for (let i = corrupt.byteLength >> 2; i < corrupt.byteLength >> 1; i += 97) corrupt[i] = (i * 31) & 0xff;
    writeFileSync(path('corrupt.ts'), corrupt);
    writeFileSync(path('text.mp4'), 'this is not a video\n'.repeat(100));
    mkdirSync(path('a-directory.mp4'));
    writeFileSync(path('not-a-dir'), 'x');
  } catch {
    // requireMedia() skips the tests when the CLI is missing.
  }
});

function isFileError(pattern: RegExp, file: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof MediaFileError, `expected MediaFileError, got ${String(e)}`);
    assert.ok(e.message.includes(file), `"${e.message}" does not name ${file}`);
    assert.match(e.message, pattern);
    return true;
  };
}

/** Capture the helpers' warnings (they log under DEBUG=tsrtc:warn). */
async function captureWarnings<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.error;
  const debug = process.env.DEBUG;
  process.env.DEBUG = 'tsrtc:warn';
  refreshLogConfig();
  console.error = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  try {
    return { result: await fn(), lines };
  } finally {
    console.error = original;
    if (debug === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = debug;
    refreshLogConfig();
  }
}

describe('MediaPlayer with bad input', () => {
  it('a missing file, a text file, a directory, an unknown format, a missing device: MediaFileError', async (t) => {
    if (!(await requireMedia(t))) return;
    await noUnhandledRejection(async () => {
      await assert.rejects(MediaPlayer.open(path('missing.mp4')), isFileError(/No such file/, 'missing.mp4'));
      await assert.rejects(MediaPlayer.open(path('text.mp4')), isFileError(/Invalid data/, 'text.mp4'));
      await assert.rejects(
        MediaPlayer.open(path('a-directory.mp4')),
        isFileError(/cannot open/, 'a-directory.mp4'),
      );
      await assert.rejects(
        MediaPlayer.open(path('whole.mp4'), { format: 'no-such-format' }),
        isFileError(/no input format 'no-such-format'/, 'whole.mp4'),
      );
      await assert.rejects(
        MediaPlayer.open('/dev/video99', { format: 'v4l2' }),
        isFileError(/No such file|cannot open/, '/dev/video99'),
      );
    });
  });

  it('an MP4 cut in half (index lost) is refused; an MPEG-TS cut in half plays its first half and ends', async (t) => {
    if (!(await requireMedia(t))) return;
    await noUnhandledRejection(async () => {
      await assert.rejects(
        MediaPlayer.open(path('truncated.mp4')),
        isFileError(/moov|Invalid data/, 'truncated.mp4'),
      );
      const player = await MediaPlayer.open(path('truncated.ts'), { realtime: false });
      const [video] = await Promise.all([drain<VideoFrame>(player.video!), drain(player.audio!)]);
      assert.ok(video.length > 10 && video.length < 60, `${video.length} frames of 60`);
      assert.equal(player.video!.readyState, 'ended');
      assert.equal(player.audio!.readyState, 'ended');
    });
  });

  it('corrupted packets in the middle are skipped: the tracks play on to the end', async (t) => {
    if (!(await requireMedia(t))) return;
    await noUnhandledRejection(async () => {
      const player = await MediaPlayer.open(path('corrupt.ts'), { realtime: false });
      const [video, audio] = await Promise.all([drain<VideoFrame>(player.video!), drain(player.audio!)]);
      assert.ok(video.length >= 20, `${video.length} video frames`);
      assert.ok(audio.length >= 40, `${audio.length} audio frames`);
      assert.equal(player.video!.readyState, 'ended');
    });
  });

  it('credentials in a URL never appear in errors; a refused connection names the URL', async (t) => {
    if (!(await requireMedia(t))) return;
    await assert.rejects(
      MediaPlayer.open('rtsp://alice:secret@127.0.0.1:1/cam', { timeout: 2 }),
      (e: unknown) => {
        assert.ok(e instanceof MediaFileError);
        assert.ok(!e.message.includes('secret'), e.message);
        assert.match(e.message, /rtsp:\/\/\*\*\*@127\.0\.0\.1:1\/cam: cannot open: /);
        return true;
      },
    );
  });
});

describe('MediaPlayer over HTTP (127.0.0.1)', () => {
  let server: Server;
  let base = '';
  let cutAfter = Number.POSITIVE_INFINITY;
  before(async () => {
    server = createServer((req, res) => {
      const file = path(decodeURIComponent(req.url!.slice(1)));
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const data = readFileSync(file);
      res.writeHead(200, { 'Content-Type': 'video/webm', 'Content-Length': data.byteLength });
      if (data.byteLength <= cutAfter) res.end(data);
      else res.write(data.subarray(0, cutAfter), () => res.destroy()); // the source vanishes mid-stream
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('plays a file served over HTTP', async (t) => {
    if (!(await requireMedia(t))) return;
    cutAfter = Number.POSITIVE_INFINITY;
    const player = await MediaPlayer.open(`${base}/whole.webm`, { realtime: false });
    assert.equal((await drain(player.video!)).length, 60);
    assert.equal(player.error, null);
  });

  it('a 404 is an error naming the URL', async (t) => {
    if (!(await requireMedia(t))) return;
    await assert.rejects(
      MediaPlayer.open(`${base}/nothing.webm`),
      isFileError(/404|Not Found/i, '/nothing.webm'),
    );
  });

  it('a server that vanishes mid-stream: the tracks end cleanly, with the reason kept', async (t) => {
    if (!(await requireMedia(t))) return;
    cutAfter = statSync(path('whole.webm')).size >> 1;
    await noUnhandledRejection(async () => {
      const player = await MediaPlayer.open(`${base}/whole.webm`, { realtime: false, timeout: 2 });
      const [video] = await Promise.all([drain(player.video!), drain(player.audio!)]);
      assert.ok(video.length > 5 && video.length < 60, `${video.length} frames`);
      await assert.rejects(player.video!.recv(), MediaStreamError);
      assert.equal(player.audio!.readyState, 'ended');
    });
  });
});

/** A TCP port nothing listens on now (the kernel's choice, outside any fixed range other files use). */
async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('MediaPlayer over RTSP (127.0.0.1)', () => {
  it('receives a stream the FFmpeg CLI pushes to it (RTSP listen mode), unthrottled, and ends with it', async (t) => {
    if (!(await requireMedia(t))) return;
    const port = await freeTcpPort();
    const url = `rtsp://127.0.0.1:${port}/live`;
    await noUnhandledRejection(async () => {
      const opening = MediaPlayer.open(url, { options: { rtsp_flags: 'listen', listen_timeout: '20' } });
      // The pusher connects once, so the player must be listening first (a fixed wait can be too short on
      // a loaded machine).
      const deadline = Date.now() + 20_000;
      while (!localPorts('tcp-listen').has(port) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const pusher = spawn('ffmpeg', [
        ...['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=30'],
        ...['-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-f', 'rtsp', url],
      ]);
      try {
        const player = await opening;
        assert.equal(player.audio, null);
        const frames = await drain<VideoFrame>(player.video!);
        assert.ok(frames.length >= 25, `${frames.length} frames`);
        assert.equal(frames[0]!.width, 160);
      } finally {
        pusher.kill();
      }
    });
  });
});

describe('MediaRecorder with bad output', () => {
  it('a path that cannot be written, a name without a container: start() rejects, no file is left', async (t) => {
    if (!(await requireMedia(t))) return;
    await noUnhandledRejection(async () => {
      const missingDir = path('no/such/dir/out.mp4');
      const recorder = new MediaRecorder(missingDir);
      recorder.addTrack(new ScriptedTrack('video', []));
      await assert.rejects(recorder.start(), isFileError(/cannot write: No such file/, missingDir));
      await recorder.finished;
      const underFile = path('not-a-dir/out.webm');
      await assert.rejects(
        new MediaRecorder(underFile).start(),
        isFileError(/cannot write: Not a directory/, underFile),
      );
      const noExt = path('recording');
      await assert.rejects(new MediaRecorder(noExt).start(), isFileError(/cannot tell the container/, noExt));
      assert.equal(existsSync(noExt), false);
    });
  });

  it('nothing recorded (the tracks end before a frame): no empty file, and a log line says so', async (t) => {
    if (!(await requireMedia(t))) return;
    const file = path('empty.mp4');
    const { lines } = await captureWarnings(async () => {
      const recorder = new MediaRecorder(file);
      recorder.addTrack(new ScriptedTrack('video', []));
      await recorder.start();
      await recorder.finished;
    });
    assert.equal(existsSync(file), false);
    assert.ok(
      lines.some((l) => l.includes(file) && /nothing was recorded/.test(l)),
      lines.join('\n'),
    );
  });

  it('a full disk mid-recording (/dev/full): error naming the file and the reason, logged, no crash', async (t) => {
    if (!(await requireMedia(t)) || !existsSync('/dev/full')) return;
    const player = await MediaPlayer.open(path('whole.webm'), { decode: false, realtime: false });
    const { result: recorder, lines } = await captureWarnings(() =>
      noUnhandledRejection(async () => {
        const r = new MediaRecorder('/dev/full', { format: 'webm' });
        r.addTrack(player.video!);
        await r.start();
        await r.finished;
        return r;
      }),
    );
    assert.ok(recorder.error instanceof MediaFileError);
    assert.match(recorder.error.message, /^\/dev\/full: .*No space left on device/);
    assert.ok(
      lines.some((l) => l.includes('/dev/full') && /recording stopped/.test(l)),
      lines.join('\n'),
    );
    assert.ok(existsSync('/dev/full'), 'a device is never removed');
    player.stop();
  });
});

describe('without node-av', () => {
  it('the helpers reject with CodecUnavailableError naming the package; relay and blackhole still work', () => {
    const script = `
      const m = await import('./src/contrib/media/index.ts');
      const out = {};
      for (const [name, run] of [
        ['player', () => m.MediaPlayer.open('x.mp4')],
        ['recorder', () => new m.MediaRecorder('x.mp4').start()],
      ]) {
        try { await run(); } catch (e) { out[name] = e.name + ': ' + e.message; }
      }
      const relay = new m.MediaRelay();
      out.relay = typeof relay.subscribe;
      console.log(JSON.stringify(out));
    `;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './test/media/block-node-av.mjs', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
    assert.match(out.player!, /^CodecUnavailableError: MediaPlayer needs the optional package 'node-av'/);
    assert.match(out.recorder!, /^CodecUnavailableError: MediaRecorder needs the optional package 'node-av'/);
    assert.equal(out.relay, 'function');
  });
});
