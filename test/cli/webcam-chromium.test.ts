/**
 * The `webcam` program (aiortc's webcam example) with headless Chromium viewers. The shared source is a file of
 * two flat colours, so each viewer's picture is checked by colour; /stats shows how many encoders serve them:
 * - decoded file, three viewers: one VP8 and one Opus encode for all three (EncodedFanout through MediaRelay);
 * - --video-codec video/H264 forces H.264 (Chromium's stats name it);
 * - --play-without-decoding passes VP8/Opus (WebM) and H.264 (MPEG-TS, as aiortc's README) through: no encoder;
 * - no camera in the test namespace: aiortc's flag pattern is shared instead;
 * - aiortc's own webcam page (its client.js, served with --page-dir) shows the file.
 */
import assert from 'node:assert/strict';
import { accessSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { startWebcamServer, type WebcamOptions, type WebcamServer } from '../../src/cli/webcam.js';
import { requireMedia, tempDir } from '../contrib/media-fixtures.js';
import { AIORTC_EXAMPLES } from '../interop/aiortc.js';
import {
  type Browser,
  chromiumSkipReason,
  colourNear,
  launchChromiumWithCamera,
  pixelOf,
  waitUntil,
} from './browser.js';
import { LEFT, makeHalves, RIGHT } from './media-check.js';

const skip = chromiumSkipReason();
const { dir, cleanup } = tempDir('webcam-cli');

interface Stats {
  viewers: number;
  source: string;
  mode: string;
  encoders: { kind: string; codec: string; subscribers: number; framesEncoded: number }[];
}

describe('webcam with Chromium viewers', { skip }, () => {
  let browser: Browser;
  const files = {
    decoded: join(dir, 'halves.mp4'),
    webm: join(dir, 'halves.webm'),
    ts: join(dir, 'halves.ts'),
  };
  before(async () => {
    browser = await launchChromiumWithCamera();
    makeHalves(files.decoded, 30, ['-c:v', 'libx264', '-g', '30'], ['-c:a', 'aac']);
    makeHalves(
      files.webm,
      30,
      ['-c:v', 'libvpx', '-b:v', '1M', '-g', '30', '-deadline', 'realtime'],
      ['-c:a', 'libopus'],
    );
    makeHalves(files.ts, 30, ['-c:v', 'libx264', '-profile:v', 'baseline', '-g', '30', '-bf', '0']);
  });
  after(async () => {
    await browser?.close();
    cleanup();
  });

  async function serve(t: TestContext, options: WebcamOptions): Promise<WebcamServer | null> {
    if (!(await requireMedia(t))) return null;
    return startWebcamServer({ port: 0, ...options });
  }

  const left = pixelOf('video', 0.25, 0.5);
  const right = pixelOf('video', 0.75, 0.5);

  /** A viewer: open the page, start, wait for the two colours. */
  async function watch(url: string, what: string): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.click('#start');
    await waitUntil(page, colourNear(left, LEFT, 45), `${what}: left half`, { show: left });
    await waitUntil(page, colourNear(right, RIGHT, 45), `${what}: right half`, { show: right });
    return page;
  }

  async function stats(server: WebcamServer): Promise<Stats> {
    return (await (await fetch(`${server.url}stats`)).json()) as Stats;
  }

  it('three viewers of a decoded file share one VP8 and one Opus encode', async (t) => {
    const started = performance.now();
    const server = await serve(t, { playFrom: files.decoded });
    if (!server) return;
    try {
      const pages = [];
      for (let i = 0; i < 3; i++) pages.push(await watch(server.url, `viewer ${i + 1}`));
      const shared = await stats(server);
      assert.equal(shared.viewers, 3);
      assert.equal(shared.mode, 'encode-once');
      const video = shared.encoders.filter((e) => e.kind === 'video');
      const audio = shared.encoders.filter((e) => e.kind === 'audio');
      assert.deepEqual(
        video.map((e) => [e.codec, e.subscribers]),
        [['vp8', 3]],
      );
      assert.deepEqual(
        audio.map((e) => [e.codec, e.subscribers]),
        [['opus', 3]],
      );
      // One encode per frame of the file (30 fps, paced) for everybody: not three.
      const seconds = (performance.now() - started) / 1000;
      assert.ok(video[0]!.framesEncoded <= 30 * seconds + 30, `${video[0]!.framesEncoded} frames encoded`);
      await waitUntil(
        pages[0]!,
        "document.getElementById('codecs').dataset.codecs?.includes('video/VP8')",
        'VP8',
      );
      // A viewer leaves: its subscription goes, the others keep watching.
      await pages[2]!.click('#stop');
      await pages[2]!.close();
      await waitUntil(
        pages[0]!,
        `fetch('/stats').then((r) => r.json()).then((s) => s.viewers === 2)`,
        'left',
      );
      assert.equal((await stats(server)).encoders.find((e) => e.kind === 'video')?.subscribers, 2);
      await waitUntil(pages[1]!, colourNear(left, LEFT, 45), 'still playing', { show: left });
      for (const page of pages.slice(0, 2)) await page.close();
    } finally {
      await server.close();
    }
  });

  it('--video-codec video/H264 forces H.264', async (t) => {
    const server = await serve(t, { playFrom: files.decoded, videoCodec: 'video/H264' });
    if (!server) return;
    try {
      const page = await watch(server.url, 'H.264 viewer');
      await waitUntil(
        page,
        "document.getElementById('codecs').dataset.codecs?.includes('video/H264')",
        'H.264',
      );
      assert.deepEqual(
        (await stats(server)).encoders.filter((e) => e.kind === 'video').map((e) => e.codec),
        ['h264'],
      );
      await page.close();
    } finally {
      await server.close();
    }
  });

  for (const [name, file, videoCodec, audioCodec] of [
    ['VP8 and Opus from WebM', 'webm', 'video/VP8', 'audio/opus'],
    ['H.264 from MPEG-TS', 'ts', 'video/H264', undefined],
  ] as const) {
    it(`--play-without-decoding: ${name}, two viewers, no encoder`, async (t) => {
      const server = await serve(t, { playFrom: files[file], decode: false, videoCodec, audioCodec });
      if (!server) return;
      try {
        const pages = [await watch(server.url, 'viewer 1'), await watch(server.url, 'viewer 2')];
        const shared = await stats(server);
        assert.equal(shared.mode, 'pass-through');
        assert.deepEqual(shared.encoders, []);
        const mime = videoCodec.toLowerCase();
        await waitUntil(
          pages[1]!,
          `document.getElementById('codecs').dataset.codecs?.toLowerCase().includes('${mime}')`,
          videoCodec,
        );
        for (const page of pages) await page.close();
      } finally {
        await server.close();
      }
    });
  }

  it('--play-without-decoding without the codecs is refused, as aiortc does', async (t) => {
    if (!(await requireMedia(t))) return;
    await assert.rejects(
      startWebcamServer({ port: 0, playFrom: files.webm, decode: false, videoCodec: 'video/VP8' }),
      /--audio-codec/,
    );
  });

  it('without a camera it shares the flag pattern', async (t) => {
    const server = await serve(t, {});
    if (!server) return;
    try {
      assert.equal(server.media.sourceKind, 'pattern');
      const page = await browser.context.newPage();
      await page.goto(server.url);
      await page.click('#start');
      const white = pixelOf('video', 0.5, 0.5);
      const corner = pixelOf('video', 0.05, 0.05);
      await waitUntil(page, colourNear(white, [255, 255, 255], 40), 'white stripe', { show: white });
      await waitUntil(page, colourNear(corner, [0, 0, 0], 40), 'black border', { show: corner });
      await page.close();
    } finally {
      await server.close();
    }
  });

  it("aiortc's own webcam page (index.html + client.js) shows the file", async (t) => {
    const aiortcPage = join(AIORTC_EXAMPLES, 'webcam');
    try {
      accessSync(join(aiortcPage, 'client.js'));
    } catch {
      if (process.env.CI) throw new Error('python3-aiortc (its examples) is required in CI');
      t.skip('aiortc examples not installed');
      return;
    }
    const server = await serve(t, { playFrom: files.decoded, pageDir: aiortcPage });
    if (!server) return;
    try {
      const page = await browser.context.newPage();
      await page.goto(server.url);
      await page.click('#start');
      await waitUntil(page, colourNear(left, LEFT, 45), 'left half', { show: left });
      await waitUntil(page, colourNear(right, RIGHT, 45), 'right half', { show: right });
      await page.close();
    } finally {
      await server.close();
    }
  });
});
