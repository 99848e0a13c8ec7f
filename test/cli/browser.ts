/**
 * Headless Chromium for the pages of `server` and `webcam`, with test/interop/chromium.ts's flags plus a fake
 * camera that plays a file we made (so a test knows which colours the camera shows), and helpers to wait on
 * page expressions. Page code is passed as strings: these files are type-checked without the DOM library.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH } from '../interop/chromium.js';

export { chromiumSkipReason } from '../interop/chromium.js';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium whose fake camera plays `y4m` (a YUV4MPEG2 file; it loops). */
export async function launchChromiumWithCamera(y4m?: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'tsrtc-chromium-cli-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
      ...['--disable-background-networking', '--disable-component-update', '--disable-sync'],
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      ...(y4m ? [`--use-file-for-fake-video-capture=${y4m}`] : []),
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the page expression is truthy; the message says what was awaited and what the page showed. */
export async function waitUntil(
  page: Page,
  expression: string,
  what: string,
  options: { timeoutMs?: number; show?: string } = {},
): Promise<void> {
  try {
    await page.waitForFunction(expression, null, { timeout: options.timeoutMs ?? 30_000, polling: 100 });
  } catch (e) {
    const shown = options.show ? await page.evaluate(options.show).catch(() => undefined) : undefined;
    throw new Error(`${what}: ${(e as Error).message.split('\n')[0]} (page shows ${JSON.stringify(shown)})`);
  }
}

/** A page expression: the colour at (x, y) of the returned video within `tolerance` of `rgb`. */
export function colourNear(pixel: string, rgb: readonly [number, number, number], tolerance: number): string {
  return `(() => { const p = ${pixel}; return !!p && ${rgb
    .map((v, i) => `Math.abs(p[${i}] - ${v}) <= ${tolerance}`)
    .join(' && ')}; })()`;
}

/**
 * A page expression: [r, g, b] of the video element `id` at (fx, fy) as fractions of its picture size (so it
 * holds whatever resolution the sender chose), or null before it plays.
 */
export function pixelOf(id: string, fx: number, fy: number): string {
  return `(() => {
    const v = document.getElementById(${JSON.stringify(id)});
    if (!v || !v.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const x = Math.min(c.width - 1, Math.round(c.width * ${fx}));
    const y = Math.min(c.height - 1, Math.round(c.height * ${fy}));
    return Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3));
  })()`;
}

/**
 * A page expression: the brightest ('max') or darkest ('min') grey level, (r + g + b) / 3, along the row at fy
 * between fx0 and fx1 of the video element `id`: a thin line a transform drew. null before it plays.
 */
export function rowExtremeOf(id: string, fy: number, fx0: number, fx1: number, which: 'max' | 'min'): string {
  return `(() => {
    const v = document.getElementById(${JSON.stringify(id)});
    if (!v || !v.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const y = Math.round(c.height * ${fy});
    const x0 = Math.round(c.width * ${fx0});
    const x1 = Math.round(c.width * ${fx1});
    const d = g.getImageData(x0, y, x1 - x0 + 1, 1).data;
    let out = ${which === 'max' ? 0 : 255};
    for (let i = 0; i < d.length; i += 4) out = Math.${which}(out, (d[i] + d[i + 1] + d[i + 2]) / 3);
    return out;
  })()`;
}
