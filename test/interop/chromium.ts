/**
 * Headless Chromium from Debian driven by playwright-core (never its own browser download), with the flags
 * PEERS.md lists for loopback ICE inside the test namespace.
 */

import assert from 'node:assert/strict';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumSkipReason(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    const message = 'Chromium is not installed: apt-get install -y chromium';
    if (process.env.CI) throw new Error(message);
    return message;
  }
}

/** `extraArgs`: more command-line switches (e.g. logging while a test is investigated). */
export async function launchChromium(
  extraArgs: string[] = [],
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'tsrtc-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
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

/** Resolves with the next `type` event of `target`, or rejects after `ms`. */
export function waitFor<T extends Event>(target: EventTarget, type: string, ms = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), ms);
    target.addEventListener(
      type,
      (e) => {
        clearTimeout(t);
        resolve(e as T);
      },
      { once: true },
    );
  });
}

/** Sends every payload on `ch` and checks the browser echoes each back, in order and intact. */
export async function echoCheck(ch: RTCDataChannel, payloads: (string | Uint8Array)[]): Promise<void> {
  ch.binaryType = 'arraybuffer';
  const got: (string | number[])[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`echoed ${got.length}/${payloads.length} on ${ch.label}`)),
      30_000,
    );
    ch.onmessage = (e) => {
      got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data as ArrayBuffer)]);
      if (got.length === payloads.length) {
        clearTimeout(t);
        resolve();
      }
    };
  });
  for (const p of payloads) ch.send(p);
  await done;
  assert.deepEqual(
    got,
    payloads.map((p) => (typeof p === 'string' ? p : [...p])),
  );
}
