/**
 * What the MediaRecorder test files share: a temporary directory with 2 s sources made by the FFmpeg CLI
 * (src.mp4: H.264 + AAC, src.webm: VP8 + Opus, and with `bframes` bframes.mp4: H.264 high with B-frames), a
 * recording helper that lets the tracks end, and ffprobe's duration.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { MediaRecorder } from '../../src/contrib/media/index.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import { ffmpeg, ffprobe, TWO_COLOURS, TWO_COLOURS_AND_TONE, tempDir } from './media-fixtures.js';

export function recorderFixtures(name: string, options: { bframes?: boolean } = {}) {
  const { dir, cleanup } = tempDir(name);
  after(cleanup);
  const path = (file: string): string => join(dir, file);
  before(() => {
    try {
      const av = TWO_COLOURS_AND_TONE;
      const x264 = ['-c:v', 'libx264', '-profile:v', 'baseline', '-g', '15'];
      ffmpeg([...av, '-t', '2', ...x264, '-c:a', 'aac', path('src.mp4')]);
      ffmpeg([...av, '-t', '2', '-c:v', 'libvpx', '-g', '15', '-c:a', 'libopus', path('src.webm')]);
      if (options.bframes) {
        const high = ['-c:v', 'libx264', '-profile:v', 'high', '-bf', '3', '-g', '15', '-pix_fmt', 'yuv420p'];
        ffmpeg(['-f', 'lavfi', '-i', TWO_COLOURS, '-t', '2', ...high, path('bframes.mp4')]);
      }
    } catch {
      // requireMedia() skips the tests when the CLI is missing.
    }
  });
  const duration = (file: string): number => Number(ffprobe(file).format.duration);
  /** Records the tracks until they end: the file is finalised without stop(). */
  async function record(file: string, tracks: (MediaStreamTrack | null)[]): Promise<MediaRecorder> {
    const recorder = new MediaRecorder(file);
    for (const t of tracks) if (t) recorder.addTrack(t);
    await recorder.start();
    await recorder.finished;
    assert.equal(recorder.error, null);
    return recorder;
  }
  return { dir, path, duration, record };
}
