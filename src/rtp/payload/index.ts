/** RTP payload formats: one payloader and one depayloader per codec. */
import type { CodecName } from '../../media/encoded-frame.js';
import { AudioDepayloader, AudioPayloader } from './audio.js';
import { Av1Depayloader, Av1Payloader } from './av1.js';
import { H264Depayloader, H264Payloader } from './h264.js';
import type { Depayloader, Payloader } from './types.js';
import { Vp8Depayloader, Vp8Payloader } from './vp8.js';
import { Vp9Depayloader, Vp9Payloader } from './vp9.js';

export { AudioDepayloader, AudioPayloader } from './audio.js';
export { Av1Depayloader, Av1Payloader, parseObus, readLeb128, writeLeb128 } from './av1.js';
export { H264Depayloader, H264Payloader, isH264Keyframe, splitAnnexB } from './h264.js';
export {
  DEFAULT_MAX_PAYLOAD_SIZE,
  type Depayloader,
  type Payloader,
  type PayloadInfo,
  type RtpPacketLike,
  type RtpPayloadChunk,
} from './types.js';
export { parseVp8Descriptor, Vp8Depayloader, Vp8Payloader } from './vp8.js';
export { isVp9Keyframe, parseVp9Descriptor, Vp9Depayloader, Vp9Payloader } from './vp9.js';

/**
 * A payloader for `codec`. `parameters` are its negotiated fmtp: H.264 without a packetization-mode there is
 * mode 0 (RFC 6184); without `parameters` at all, mode 1.
 */
export function createPayloader(
  codec: CodecName,
  maxPayloadSize?: number,
  parameters?: Readonly<Record<string, string>>,
): Payloader {
  switch (codec) {
    case 'vp8':
      return new Vp8Payloader(maxPayloadSize);
    case 'vp9':
      return new Vp9Payloader(maxPayloadSize);
    case 'h264':
      return new H264Payloader(
        maxPayloadSize,
        parameters === undefined || parameters['packetization-mode'] === '1' ? 1 : 0,
      );
    case 'av1':
      return new Av1Payloader(maxPayloadSize);
    default:
      return new AudioPayloader(maxPayloadSize);
  }
}

export function createDepayloader(codec: CodecName): Depayloader {
  switch (codec) {
    case 'vp8':
      return new Vp8Depayloader();
    case 'vp9':
      return new Vp9Depayloader();
    case 'h264':
      return new H264Depayloader();
    case 'av1':
      return new Av1Depayloader();
    default:
      return new AudioDepayloader();
  }
}

/** RTP clock rate of each codec (G.722 keeps 8000 for historical reasons, RFC 3551 §4.5.2). */
export function rtpClockRate(codec: CodecName): number {
  switch (codec) {
    case 'opus':
      return 48000;
    case 'pcmu':
    case 'pcma':
    case 'g722':
      return 8000;
    default:
      return 90000;
  }
}
