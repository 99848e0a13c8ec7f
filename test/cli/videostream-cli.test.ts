/**
 * videostream-cli as two tsrtc processes: each sends the waving flag (or a file's audio and video) and records
 * what it receives; the recordings are checked with ffprobe/ffmpeg (frames, size, colours, audio). BYE from
 * either side (its --duration, or Ctrl-C) finalises both recordings. Bad arguments exit 2.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { assertDecodesCleanly, requireMedia, tempDir } from '../contrib/media-fixtures.js';
import { assertFlag, assertHalves, audioCodec, makeHalves, videoFacts } from './media-check.js';
import { freePort, type Running, startCli, waitForBytes } from './processes.js';

const { dir, cleanup } = tempDir('videostream-cli');
after(cleanup);

/**
 * A recording of `seconds` of a 30 fps sender. The tests stop the call once both files hold frames (a fixed
 * wait on this shared, often overloaded 2-core machine has ended before the first frame), so the floor is what
 * that takes; the ceiling proves nothing was duplicated.
 */
function assertRecorded(file: string, seconds: number, content: (file: string, index: number) => void): void {
  assertDecodesCleanly(file);
  const facts = videoFacts(file);
  assert.deepEqual([facts.width, facts.height], [640, 480]);
  assert.ok(facts.frames >= 8 && facts.frames <= seconds * 30 + 30, `${facts.frames} frames`);
  content(file, 3);
  content(file, facts.frames - 3);
}

/** Stop a call once both recordings hold frames (and a second more), as a user's Ctrl-C. */
async function interruptWhenRecorded(process: Running, files: string[]): Promise<number> {
  const started = performance.now();
  await waitForBytes(files, 100_000);
  await new Promise((r) => setTimeout(r, 1000));
  process.interrupt();
  return (performance.now() - started) / 1000;
}

describe('videostream-cli, tsrtc to tsrtc', () => {
  const halves = join(dir, 'halves.mp4');
  let media = true;
  before(() => {
    try {
      makeHalves(halves, 20, ['-c:v', 'libx264', '-g', '30'], ['-c:a', 'aac']);
    } catch {
      media = false;
    }
  });
  const ready = async (t: TestContext): Promise<boolean> => media && (await requireMedia(t));

  it('tcp-socket: the flag both ways, recorded as MP4; Ctrl-C on the offer ends both', async (t) => {
    if (!(await ready(t))) return;
    const signaling = ['-s', 'tcp-socket', '--signaling-port', String(await freePort()), '--loopback'];
    const [byAnswer, byOffer] = [join(dir, 'a.mp4'), join(dir, 'o.mp4')];
    const answer = startCli('videostream-cli', ['answer', '--record-to', byAnswer, ...signaling]);
    const offering = startCli('videostream-cli', ['offer', '--record-to', byOffer, ...signaling]);
    const seconds = await interruptWhenRecorded(offering, [byAnswer, byOffer]);
    const offer = await offering.finished;
    const answered = await answer.finished;
    assert.equal(offer.code, 0, offer.stderr);
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(offer.stdout, /^Receiving video$/m);
    assert.match(answered.stdout, /^Receiving video$/m);
    assert.match(answered.stdout, /^Exiting$/m);
    assertRecorded(byAnswer, seconds, assertFlag);
    assertRecorded(byOffer, seconds, assertFlag);
  });

  it('unix-socket: the offer plays a file with audio, recorded with its audio; Ctrl-C ends it', async (t) => {
    if (!(await ready(t))) return;
    const signaling = ['-s', 'unix-socket', '--signaling-path', join(dir, 'video.sock'), '--loopback'];
    const [byAnswer, byOffer] = [join(dir, 'file-by-answer.mkv'), join(dir, 'flag-by-offer.webm')];
    const answer = startCli('videostream-cli', ['answer', '--record-to', byAnswer, ...signaling]);
    const offer = startCli('videostream-cli', [
      'offer',
      '--play-from',
      halves,
      '--record-to',
      byOffer,
      ...signaling,
    ]);
    const seconds = await interruptWhenRecorded(offer, [byAnswer, byOffer]);
    const [offered, answered] = await Promise.all([offer.finished, answer.finished]);
    assert.equal(offered.code, 0, offered.stderr);
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /^Receiving audio$/m);
    assertRecorded(byAnswer, seconds, assertHalves);
    assert.equal(audioCodec(byAnswer), 'aac');
    assertRecorded(byOffer, seconds, assertFlag);
    assert.equal(videoFacts(byOffer).codec, 'vp8');
  });

  it('websocket signaling, without recording (a MediaBlackhole consumes)', async (t) => {
    if (!(await ready(t))) return;
    const signaling = ['-s', 'websocket', '--signaling-port', String(await freePort()), '--loopback'];
    const answer = startCli('videostream-cli', ['answer', '--duration', '2', ...signaling]);
    const offer = await startCli('videostream-cli', ['offer', ...signaling]).finished;
    const answered = await answer.finished;
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(offer.code, 0, offer.stderr);
    assert.match(offer.stdout, /^Receiving video$/m);
    assert.match(offer.stdout, /^Exiting$/m);
  });

  it('bad arguments print the usage and exit 2', async () => {
    for (const args of [[], ['both'], ['offer', '--duration', 'soon'], ['offer', '--signaling', 'pigeon']]) {
      const run = await startCli('videostream-cli', args).finished;
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /usage: videostream-cli/);
    }
  });

  it('a file that cannot be played is an error naming it, exit 1', async () => {
    const run = await startCli('videostream-cli', ['offer', '--play-from', join(dir, 'missing.mp4')])
      .finished;
    assert.equal(run.code, 1);
    assert.match(run.stderr, /missing\.mp4/);
  });
});
