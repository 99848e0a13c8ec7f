/** tsrtc/sdp: the SDP model, its parser and writer, and the JSEP offer/answer building blocks. */
export * from './attributes.js';
export * from './codecs.js';
export { SdpSyntaxError } from './errors.js';
export * from './h264.js';
export * from './jsep/index.js';
export { parseSdp } from './parse.js';
export { isRtpProtocol } from './parse-media.js';
export * from './types.js';
export * from './write.js';
