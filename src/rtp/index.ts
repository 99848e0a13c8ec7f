/** `tsrtc/rtp`: RTP and RTCP packets, header extensions, in-place rewriting, RTX, payloaders, jitter buffer. */
export * from './extension-map.js';
export * from './header-extensions.js';
export * from './jitter-buffer.js';
export * from './packet.js';
export * from './payload/index.js';
export * from './rewrite.js';
export * from './rtcp/index.js';
export * from './rtx.js';
