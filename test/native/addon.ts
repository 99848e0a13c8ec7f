/**
 * The native addon for tests: loaded directly (ignoring TSRTC_NATIVE=0, so both paths can be compared in
 * one process), or a reason to skip. Under TSRTC_NATIVE=1 a missing addon is a failure, not a skip.
 */
import { loadNativeAddon, type NativeAddon } from '../../src/common/native.js';

function load(): { addon: NativeAddon; skip: false } | { addon: undefined; skip: string } {
  try {
    return { addon: loadNativeAddon(), skip: false };
  } catch (e) {
    if (process.env.TSRTC_NATIVE === '1') throw e;
    return { addon: undefined, skip: `native addon not built: ${(e as Error).message}` };
  }
}

export const native = load();

/** `it` options: skip (with the reason) when the addon is not built. */
export const needsAddon = { skip: native.skip };
