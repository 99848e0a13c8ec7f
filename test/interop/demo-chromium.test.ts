/**
 * `npm start`'s page in headless Chromium: the browser sends its (fake) camera and microphone to the tsrtc
 * peer, gets the video back transformed (with the peer's mark in the corner) and a 440 Hz tone, plots live
 * stats, chats and sends a file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoServer } from '../../src/cli/server.js';
import { chromiumSkipReason, launchChromium } from './chromium.js';

const skip = chromiumSkipReason();

describe('demo page in Chromium', { skip }, () => {
  let server: Awaited<ReturnType<typeof startDemoServer>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  before(async () => {
    server = await startDemoServer(0);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('connects, measures round-trip time, echoes chat and transfers 8 MiB intact', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.click('#connect');
    // Page-side code is passed as strings: this file is type-checked without the DOM library.
    await page.waitForFunction("document.getElementById('state')?.textContent === 'connected'", null, {
      timeout: 30_000,
    });
    await page.waitForFunction("/ms$/.test(document.getElementById('rtt')?.textContent ?? '')", null, {
      timeout: 30_000,
    });
    // Media: the returned video carries the Node peer's magenta mark, the returned audio is a 440 Hz tone.
    await page.waitForFunction(
      '(() => { const c = window.demo.markColour(); return c && c[0] > 200 && c[1] < 60 && c[2] > 200; })()',
      null,
      { timeout: 30_000 },
    );
    await page.waitForFunction('Math.abs(window.demo.audioPeak() - 440) < 20', null, { timeout: 30_000 });
    await page.waitForFunction(
      "Number(document.getElementById('fps')?.dataset.fps) > 10 && Number(document.getElementById('recvRate')?.dataset.kbps) > 50",
      null,
      { timeout: 30_000 },
    );
    await page.fill('#text', 'hi from chromium');
    await page.click('#send');
    await page.waitForFunction(
      "document.getElementById('log')?.textContent?.includes('echo: hi from chromium')",
    );
    await page.click('#sample');
    await page.waitForFunction("document.getElementById('result')?.dataset.sha256 !== undefined", null, {
      timeout: 60_000,
    });
    const [sent, received, bytes] = (await page.evaluate(
      "[document.getElementById('progress')?.dataset.sha256, document.getElementById('result')?.dataset.sha256, document.getElementById('result')?.dataset.bytes]",
    )) as (string | undefined)[];
    assert.equal(bytes, String(8 << 20));
    assert.equal(received, sent, 'the Node peer hashed exactly what the browser sent');
    assert.deepEqual(errors, []);
  });
});
