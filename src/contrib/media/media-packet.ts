/**
 * A compressed packet held in JavaScript memory: what the demuxer reads, the queues hold, and the muxer writes.
 * No native handle travels with it, so nothing needs freeing and a forgotten packet is only garbage.
 */
import type { Packet } from 'node-av/lib';

export interface MediaPacket {
  streamIndex: number;
  data: Uint8Array;
  /** In the stream's time base; FFmpeg's AV_NOPTS_VALUE when unknown. */
  pts: bigint;
  dts: bigint;
  /** 0 when unknown. */
  duration: bigint;
  keyframe: boolean;
  /** Bytes this packet holds (for a native one, an estimate of the picture or samples behind it). */
  size: number;
  /**
   * Only for FFmpeg's wrapped frames (lavfi graphs and some devices hand out AVFrame pointers as packets, which
   * cannot be copied as bytes): the native packet itself, which the decoder consumes and frees. If it is
   * dropped instead, node-av frees it when it is garbage-collected.
   */
  native?: Packet;
}
