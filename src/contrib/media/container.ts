/**
 * What MediaRecorder writes into a container: the container from the file name (or `format`), the codec it
 * encodes with (aiortc's choices), and which already-encoded codecs it takes as they are (remux).
 */
import type { OutputFormat } from 'node-av/lib';
import type { CodecName } from '../../media/encoded-frame.js';
import { MediaFileError } from './errors.js';
import type { NodeAv } from './ffmpeg.js';

export interface EncoderChoice {
  /** FFmpeg encoder name. */
  encoder: string;
  /** Private options of that encoder. */
  options: Record<string, string>;
}

export interface ContainerPlan {
  format: OutputFormat;
  /** The muxer's short name ("mp4", "webm", "image2", …). */
  name: string;
  /** Null: this container takes no audio (an audio track is left out, with a log line). */
  audio: EncoderChoice | null;
  video: EncoderChoice | null;
  /** The muxer opens files itself (image sequences). */
  noFile: boolean;
  /** Already-encoded codecs written as they are. */
  remux: ReadonlySet<CodecName>;
}

const X264: EncoderChoice = { encoder: 'libx264', options: { preset: 'veryfast', crf: '23' } };
const VP8: EncoderChoice = {
  encoder: 'libvpx',
  options: { deadline: 'realtime', 'cpu-used': '8', crf: '10', 'auto-alt-ref': '0' },
};
const PNG: EncoderChoice = { encoder: 'png', options: {} };
const AAC: EncoderChoice = { encoder: 'aac', options: {} };
const OPUS: EncoderChoice = { encoder: 'libopus', options: {} };
const MP3: EncoderChoice = { encoder: 'libmp3lame', options: {} };
const PCM: EncoderChoice = { encoder: 'pcm_s16le', options: {} };

/** By muxer name: [audio, video, remux]. Containers not listed get AAC and H.264, remuxing H.264 and Opus. */
const PLANS: Record<string, [EncoderChoice | null, EncoderChoice | null, CodecName[]]> = {
  wav: [PCM, null, ['pcmu', 'pcma', 'g722']],
  mp3: [MP3, null, []],
  ogg: [OPUS, null, ['opus']],
  opus: [OPUS, null, ['opus']],
  webm: [OPUS, VP8, ['vp8', 'vp9', 'av1', 'opus']],
  ivf: [null, VP8, ['vp8', 'vp9', 'av1']],
  image2: [null, PNG, []],
  matroska: [AAC, X264, ['h264', 'vp8', 'vp9', 'av1', 'opus']],
  mp4: [AAC, X264, ['h264', 'vp9', 'av1', 'opus']],
  mov: [AAC, X264, ['h264']],
  mpegts: [AAC, X264, ['h264', 'opus']],
};

/** The container for `file` (or `format`), or MediaFileError naming the file. */
export function planContainer(av: NodeAv, file: string, format?: string): ContainerPlan {
  const oformat = av.lib.OutputFormat.guessFormat(format ?? null, file, null);
  if (!oformat) {
    throw new MediaFileError(
      file,
      format
        ? `FFmpeg has no output format '${format}'`
        : 'cannot tell the container from the file name: give it an extension (.mp4, .webm, .mkv, .ogg, .wav, ' +
            '.mp3, %3d.png) or pass { format }',
    );
  }
  const name = oformat.name?.split(',')[0] ?? '';
  const [audio, video, remux] = PLANS[name] ?? [AAC, X264, ['h264', 'opus']];
  return {
    format: oformat,
    name,
    audio,
    video,
    noFile: oformat.hasFlags(av.constants.AVFMT_NOFILE),
    remux: new Set(remux),
  };
}
