/** Codec tests need node-av: skip with a clear message when it is missing, but fail in CI. */
import type { TestContext } from 'node:test';
import { isNodeAvAvailable } from '../../src/media/codecs/node-av.js';

export async function requireNodeAv(t: TestContext): Promise<boolean> {
  if (await isNodeAvAvailable()) return true;
  if (process.env.CI) throw new Error('node-av (optional dependency) is not installed, and CI requires it');
  t.skip('node-av is not installed: FFmpeg-backed codec tests skipped');
  return false;
}
