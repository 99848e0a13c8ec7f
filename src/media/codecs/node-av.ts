/**
 * Lazy access to the optional FFmpeg binding (node-av). Only its low-level API is used: the high-level one
 * needs Node 22's Promise.withResolvers, and tsrtc never patches the user's globals. The core of tsrtc never
 * imports this module statically, so everything but FFmpeg-backed codecs works without node-av installed.
 */
import type * as NodeAvConstants from 'node-av/constants';
import type * as NodeAvLib from 'node-av/lib';
import { CodecUnavailableError } from '../errors.js';

export interface NodeAv {
  lib: typeof NodeAvLib;
  constants: typeof NodeAvConstants;
}

let loading: Promise<NodeAv> | undefined;

/** node-av's modules, loaded once; rejects with CodecUnavailableError naming the package when missing. */
export function loadNodeAv(forCodec: string): Promise<NodeAv> {
  loading ??= (async () => {
    const [lib, constants] = await Promise.all([import('node-av/lib'), import('node-av/constants')]);
    // FFmpeg's own logging would otherwise print to stderr for every corrupt frame a peer sends.
    lib.Log.setLevel(constants.AV_LOG_QUIET);
    return { lib, constants };
  })();
  return loading.catch((error: unknown) => {
    loading = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CodecUnavailableError(
      `the ${forCodec} codec needs the optional package 'node-av' (FFmpeg bindings): install it with ` +
        `'npm install node-av' (${reason})`,
    );
  });
}

let installed: boolean | undefined;

/**
 * True when the node-av package and its platform binary are installed (a synchronous look, for capability
 * lists; loading may still fail, which `loadNodeAv` reports).
 */
export function isNodeAvInstalled(): boolean {
  if (installed === undefined) {
    try {
      // Through the ESM resolver, so module resolution hooks see it as any import would.
      import.meta.resolve('node-av/lib');
      installed = true;
    } catch {
      installed = false;
    }
  }
  return installed;
}

/** True when node-av can be loaded (for tests and capability checks). */
export async function isNodeAvAvailable(): Promise<boolean> {
  try {
    await loadNodeAv('probe');
    return true;
  } catch {
    return false;
  }
}

/**
 * Set codec options on the context itself (searching the codec's private options too) before opening it.
 * Passing a Dictionary to open2 instead corrupts the heap in node-av 6 (FFmpeg consumes the entries and the
 * wrapper later frees a stale pointer), seen as crashes at exit.
 */
export function setOptions(
  ctx: NodeAvLib.CodecContext,
  options: Record<string, string>,
  codecName: string,
): void {
  for (const [name, value] of Object.entries(options)) {
    const ret = ctx.setOption(name, value);
    if (ret < 0) throw new Error(`${codecName} rejected option ${name}=${value} (FFmpeg error ${ret})`);
  }
}
