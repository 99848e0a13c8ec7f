/**
 * Switches VideoFrame.reformat and AudioResampler over to FFmpeg's swscale and swresample (node-av), measured
 * 6–15× faster than the TypeScript paths at 720p. The TypeScript paths stay the fallback (node-av missing) and
 * the reference the native results are tested against. Nothing global is patched: the two hooks are this
 * library's own.
 */
import { setResamplerBackendFactory } from './audio-resampler.js';
import { loadNodeAv, type NodeAv } from './codecs/node-av.js';
import { SwresampleBackend } from './native-resample.js';
import { SwscaleBackend } from './native-scale.js';
import { pixelConversionBackend, setPixelConversionBackend } from './pixel-convert.js';

let scaler: SwscaleBackend | null = null;

/** Install the native backends with an already loaded node-av (synchronous). */
export function installNativeConversion(av: NodeAv): void {
  if (scaler) return;
  scaler = new SwscaleBackend(av);
  setPixelConversionBackend(scaler);
  setResamplerBackendFactory((options) => new SwresampleBackend(av, options));
}

/**
 * Load node-av (once) and convert through swscale/swresample from now on. Resolves false, without throwing,
 * when node-av is not installed: the TypeScript paths then keep working.
 */
export async function enableNativeConversion(): Promise<boolean> {
  try {
    installNativeConversion(await loadNodeAv('swscale'));
    return true;
  } catch {
    return false;
  }
}

/** Back to the TypeScript paths (resamplers already running keep their backend). */
export function disableNativeConversion(): void {
  setPixelConversionBackend(null);
  setResamplerBackendFactory(null);
  scaler?.close();
  scaler = null;
}

export function isNativeConversionEnabled(): boolean {
  return pixelConversionBackend() !== null;
}
