/**
 * The helpers' door to FFmpeg: node-av loaded lazily through the media layer's loader (no global patched), the
 * swscale/swresample conversions switched on with it, error texts, and the mapping between FFmpeg codec ids and
 * the codec names tsrtc's tracks carry.
 */
import type { AVCodecID } from 'node-av/constants';
import { loadNodeAv, type NodeAv } from '../../media/codecs/node-av.js';
import type { CodecName } from '../../media/encoded-frame.js';
import { CodecUnavailableError } from '../../media/errors.js';
import { installNativeConversion } from '../../media/native-convert.js';

export type { NodeAv };

/** node-av, or CodecUnavailableError naming the package and the helper that needs it. */
export async function loadFfmpeg(helper: string): Promise<NodeAv> {
  let av: NodeAv;
  try {
    av = await loadNodeAv(helper);
  } catch (error) {
    throw new CodecUnavailableError(
      `${helper} needs the optional package 'node-av' (FFmpeg bindings): install it with 'npm install node-av'`,
      { cause: error },
    );
  }
  installNativeConversion(av);
  return av;
}

/** FFmpeg's text for an error code ("No such file or directory", "Invalid data found when processing input"). */
export function ffmpegReason(av: NodeAv, code: number): string {
  try {
    return `${av.lib.FFmpegError.strerror(code)} (FFmpeg error ${code})`;
  } catch {
    return `FFmpeg error ${code}`;
  }
}

/** The tsrtc codec name of an FFmpeg codec id, or null when WebRTC cannot carry it. */
export function webrtcCodecOf(av: NodeAv, id: AVCodecID): CodecName | null {
  const C = av.constants;
  switch (id) {
    case C.AV_CODEC_ID_H264:
      return 'h264';
    case C.AV_CODEC_ID_VP8:
      return 'vp8';
    case C.AV_CODEC_ID_VP9:
      return 'vp9';
    case C.AV_CODEC_ID_AV1:
      return 'av1';
    case C.AV_CODEC_ID_OPUS:
      return 'opus';
    case C.AV_CODEC_ID_PCM_MULAW:
      return 'pcmu';
    case C.AV_CODEC_ID_PCM_ALAW:
      return 'pcma';
    case C.AV_CODEC_ID_ADPCM_G722:
      return 'g722';
    default:
      return null;
  }
}

export function codecIdOf(av: NodeAv, codec: CodecName): AVCodecID {
  const C = av.constants;
  const ids: Record<CodecName, AVCodecID> = {
    h264: C.AV_CODEC_ID_H264,
    vp8: C.AV_CODEC_ID_VP8,
    vp9: C.AV_CODEC_ID_VP9,
    av1: C.AV_CODEC_ID_AV1,
    opus: C.AV_CODEC_ID_OPUS,
    pcmu: C.AV_CODEC_ID_PCM_MULAW,
    pcma: C.AV_CODEC_ID_PCM_ALAW,
    g722: C.AV_CODEC_ID_ADPCM_G722,
  };
  return ids[codec];
}

/** FFmpeg's short name of a codec id ("h264", "aac", "mpeg4"), for messages. */
export function codecIdName(av: NodeAv, id: AVCodecID): string {
  try {
    return av.lib.avGetCodecName(id) ?? `codec ${id}`;
  } catch {
    return `codec ${id}`;
  }
}
