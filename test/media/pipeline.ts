/**
 * Test pipeline: encode → packetize → a lossy, reordering "network" → jitter buffer (with NACK answered from a
 * sender history, and PLI answered by the encoder) → depacketize → decode. Quality helpers: PSNR and SNR.
 */
import type { AudioFrame } from '../../src/media/audio-frame.js';
import type { Decoder, Encoder } from '../../src/media/codecs/codec.js';
import type { CodecName, EncodedFrame } from '../../src/media/encoded-frame.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { JitterBuffer } from '../../src/rtp/jitter-buffer.js';
import {
  createDepayloader,
  createPayloader,
  type RtpPacketLike,
  rtpClockRate,
} from '../../src/rtp/payload/index.js';
import { Prng } from '../sim/network.js';

const TIMESTAMP_OFFSET = 123456;

export interface NetworkConditions {
  /** Probability a packet is lost on first transmission. */
  loss: number;
  /**
   * Packets are delivered in windows of this many, shuffled within the window; a window that has not filled
   * after two frame intervals leaves as it is (a network reorders within milliseconds, not packets: small
   * frames must not be held back for long).
   */
  reorderWindow: number;
  /** Probability a packet is delivered twice. */
  duplicate: number;
  /** Answer NACKs with retransmissions (otherwise losses stay lost). */
  retransmit: boolean;
}

export interface PipelineResult<F> {
  decoded: F[];
  plis: number;
  nacks: number;
  keyframesRequested: number;
  packets: number;
}

export async function runPipeline<F extends AudioFrame | VideoFrame>(
  codec: CodecName,
  encoder: Encoder<F>,
  decoder: Decoder<F>,
  source: F[],
  net: NetworkConditions,
  seed = 1,
  maxPayloadSize = encoder.kind === 'video' ? 400 : 1200,
): Promise<PipelineResult<F>> {
  const prng = new Prng(seed);
  const kind = encoder.kind;
  const payloader = createPayloader(codec, maxPayloadSize);
  const jb = new JitterBuffer({
    kind,
    codec,
    depayloader: createDepayloader(codec),
    clockRate: rtpClockRate(codec),
    nack: net.retransmit && kind === 'video',
    maxWaitMs: 100,
  });
  const history = new Map<number, RtpPacketLike>();
  let seq = 40000 + prng.int(20000);
  let now = 0;
  const pending: RtpPacketLike[] = [];
  const decoded: F[] = [];
  let plis = 0;
  let nacks = 0;
  let keyframesRequested = 0;
  let packets = 0;

  const deliver = async (batch: RtpPacketLike[]): Promise<void> => {
    for (const p of batch) {
      jb.push(now, p);
      await pump();
    }
  };
  const pump = async (): Promise<void> => {
    for (let e = jb.pollEvent(); e; e = jb.pollEvent()) {
      if (e.type === 'frame') {
        const frames = await decoder.decode(e.frame);
        // Label output with the sender's pts (the jitter buffer's pts count from the first frame it played).
        const sent = history.get(e.firstSequenceNumber)!;
        for (const f of frames) f.pts = ((sent.timestamp - TIMESTAMP_OFFSET) >>> 0) | 0;
        decoded.push(...frames);
        if (decoder.keyframeNeeded) jb.requestKeyframe(now);
      } else if (e.type === 'nack') {
        nacks++;
        const resend = e.sequenceNumbers.map((s) => history.get(s)).filter((p): p is RtpPacketLike => !!p);
        for (const p of resend) jb.push(now, p);
      } else {
        plis++;
        keyframesRequested++;
        encoder.requestKeyframe();
      }
    }
  };

  const send = (frame: EncodedFrame): void => {
    for (const chunk of payloader.packetize(frame.data)) {
      const packet: RtpPacketLike = {
        payloadType: 96,
        sequenceNumber: seq++ & 0xffff,
        timestamp: (frame.pts + TIMESTAMP_OFFSET) >>> 0,
        ssrc: 42,
        marker: chunk.marker,
        payload: chunk.payload,
      };
      packets++;
      history.set(packet.sequenceNumber, packet);
      // The receiver cannot know about packets lost before the first one it sees: keep the first frame whole.
      if (packets > 3 && prng.next() < net.loss) continue;
      pending.push(packet);
      if (prng.next() < net.duplicate) pending.push(packet);
    }
  };

  const flush = async (all: boolean): Promise<void> => {
    while (pending.length >= net.reorderWindow || (all && pending.length)) {
      const batch = pending.splice(0, net.reorderWindow);
      for (let i = batch.length - 1; i > 0; i--) {
        const j = prng.int(i + 1);
        [batch[i], batch[j]] = [batch[j]!, batch[i]!];
      }
      await deliver(batch);
    }
  };

  const frameMs = kind === 'video' ? 33 : 20;
  let heldFor = 0;
  for (const frame of source) {
    for (const encoded of await encoder.encode(frame)) send(encoded);
    await flush(false);
    if (pending.length > 0 && ++heldFor >= 2) await flush(true);
    if (pending.length === 0) heldFor = 0;
    now += frameMs;
    jb.handleTimeout(now);
    await pump();
  }
  await flush(true);
  for (let i = 0; i < 10; i++) {
    now += 50;
    jb.handleTimeout(now);
    await pump();
  }
  if (process.env.PIPELINE_DEBUG) console.log(codec, jb.stats, decoder.stats);
  return { decoded, plis, nacks, keyframesRequested, packets };
}

/** PSNR of the luma plane in dB (Infinity when identical). */
export function psnr(a: VideoFrame, b: VideoFrame): number {
  const x = a.reformat({ format: 'yuv420p' }).planes[0]!;
  const y = b.reformat({ format: 'yuv420p' }).planes[0]!;
  let se = 0;
  for (let r = 0; r < a.height; r++) {
    for (let c = 0; c < a.width; c++) {
      const d = x.data[r * x.lineSize + c]! - y.data[r * y.lineSize + c]!;
      se += d * d;
    }
  }
  const mse = se / (a.width * a.height);
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

/**
 * SNR in dB of `decoded` against `reference` (mono floats), searching the alignment (codec delay) over
 * `maxLag` samples and allowing a gain mismatch of nothing: plain signal-to-error power.
 */
export function snr(reference: Float32Array, decoded: Float32Array, maxLag: number): number {
  let best = Number.NEGATIVE_INFINITY;
  for (let lag = 0; lag <= maxLag; lag++) {
    let sig = 0;
    let err = 0;
    const n = Math.min(reference.length, decoded.length - lag);
    // Skip the first 20 ms: codecs fade in.
    const start = Math.min(n, Math.floor(reference.length / 10));
    for (let i = start; i < n; i++) {
      sig += reference[i]! ** 2;
      err += (reference[i]! - decoded[i + lag]!) ** 2;
    }
    if (sig > 0) best = Math.max(best, 10 * Math.log10(sig / Math.max(err, 1e-12)));
  }
  return best;
}
