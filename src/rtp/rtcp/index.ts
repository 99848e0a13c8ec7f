export * from './compound.js';
export { PSFB_FMT, RTPFB_FMT } from './feedback.js';
export * from './types.js';
