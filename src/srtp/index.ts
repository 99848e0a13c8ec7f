export { SrtpContext, type SrtpContextOptions, type SrtpStats } from './context.js';
export { deriveSessionKey, LABEL as SRTP_KDF_LABEL } from './kdf.js';
export {
  SRTP_PROFILES,
  type SrtpKeys,
  type SrtpProfile,
  type SrtpProfileName,
  splitKeyingMaterial,
  srtpProfile,
} from './profiles.js';
export { ReplayWindow } from './replay-window.js';
export { SrtpSession, type SrtpSessionOptions } from './session.js';
export { estimateIndex } from './stream-table.js';
