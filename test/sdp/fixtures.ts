/** The SDP fixtures: real output of the npm peers, and browser SDP written to their current format. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dirname, 'fixtures');

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.sdp'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export function fixture(name: string): string {
  return readFileSync(join(FIXTURE_DIR, `${name}.sdp`), 'utf8');
}

/**
 * Fixtures already in our writer's canonical form (libwebrtc's line order): Chromium, Safari and
 * @roamhq/wrtc output, and two hand-written ones in that order. These must come back byte for byte.
 */
export function isCanonical(name: string): boolean {
  return /^(chromium|safari|wrtc|legacy|ice-lite)-/.test(name);
}
