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
import { freePort, startCli } from './processes.js';

const { dir, cleanup } = tempDir('videostream-cli');
after(cleanup);

/**
 * Both sides ran about `seconds` once connected, sending 30 fps. On this shared 2-core machine, with a Chromium
 * test beside it, the VP8 encode, decode and the recorder's x264 share the cores and 3 s have given as few as 9
 * frames: the floor only proves frames kept coming, the ceiling that nothing was duplicated.
 */
function assertRecorded(file: string, seconds: number, content: (file: string, index: number) => void): void {
  assertDecodesCleanly(file);
  const facts = videoFacts(file);
  assert.deepEqual([facts.width, facts.height], [640, 480]);
  assert.ok(facts.frames >= seconds * 2 && facts.frames <= seconds * 30 + 30, `${facts.frames} frames`);
  content(file, 5);
  content(file, facts.frames - 3);
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

  it('tcp-socket: the flag both ways, recorded as MP4; --duration on the offer ends both', async (t) => {
    if (!(await ready(t))) return;
    const signaling = ['-s', 'tcp-socket', '--signaling-port', String(await freePort()), '--loopback'];
    const [byAnswer, byOffer] = [join(dir, 'a.mp4'), join(dir, 'o.mp4')];
    const answer = startCli('videostream-cli', ['answer', '--record-to', byAnswer, ...signaling]);
    const offer = await startCli('videostream-cli', [
      'offer',
      '--record-to',
      byOffer,
      '--duration',
      '3',
      ...signaling,
    ]).finished;
    const answered = await answer.finished;
    assert.equal(offer.code, 0, offer.stderr);
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(offer.stdout, /^Receiving video$/m);
    assert.match(answered.stdout, /^Receiving video$/m);
    assert.match(answered.stdout, /^Exiting$/m);
    assertRecorded(byAnswer, 3, assertFlag);
    assertRecorded(byOffer, 3, assertFlag);
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
    // The offer prints this when the answer arrives: from then on media flows both ways.
    await offer.waitForLine(/^Receiving video$/);
    await new Promise((r) => setTimeout(r, 3000));
    offer.interrupt();
    const [offered, answered] = await Promise.all([offer.finished, answer.finished]);
    assert.equal(offered.code, 0, offered.stderr);
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /^Receiving audio$/m);
    assertRecorded(byAnswer, 2, assertHalves);
    assert.equal(audioCodec(byAnswer), 'aac');
    assertRecorded(byOffer, 2, assertFlag);
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
