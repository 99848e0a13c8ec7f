/**
 * `tsrtc/rtp`: RTP and RTCP packets, header extensions, in-place rewriting, RTX, payloaders, jitter buffer,
 * and MediaSession, the media engine of a bundle.
 */
export * from './extension-map.js';
export type { PacketResult, SentPacketRecord } from './feedback/transport-feedback-log.js';
export * from './header-extensions.js';
export * from './jitter-buffer.js';
export * from './media-session.js';
export * from './media-session-types.js';
export * from './ntp.js';
export { Pacer, type PacerOptions, type PacerStats, type PacketClass } from './pacer.js';
export * from './packet.js';
export * from './payload/index.js';
export * from './rewrite.js';
export * from './rtcp/index.js';
export * from './rtx.js';
export * from './session-config.js';
