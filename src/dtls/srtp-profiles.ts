/**
 * DTLS-SRTP (RFC 5764, RFC 7714): the protection profiles use_srtp negotiates and the split of the
 * EXTRACTOR-dtls_srtp keying material into client/server master keys and salts (RFC 5764 §4.2).
 */

export type SrtpProfileName =
  | 'SRTP_AEAD_AES_128_GCM'
  | 'SRTP_AEAD_AES_256_GCM'
  | 'SRTP_AES128_CM_HMAC_SHA1_80'
  | 'SRTP_AES128_CM_HMAC_SHA1_32';

export interface SrtpProfile {
  readonly id: number;
  readonly name: SrtpProfileName;
  readonly keyLength: number;
  readonly saltLength: number;
}

/** In order of preference. */
export const SRTP_PROFILES: readonly SrtpProfile[] = [
  { id: 0x0007, name: 'SRTP_AEAD_AES_128_GCM', keyLength: 16, saltLength: 12 },
  { id: 0x0008, name: 'SRTP_AEAD_AES_256_GCM', keyLength: 32, saltLength: 12 },
  { id: 0x0001, name: 'SRTP_AES128_CM_HMAC_SHA1_80', keyLength: 16, saltLength: 14 },
  { id: 0x0002, name: 'SRTP_AES128_CM_HMAC_SHA1_32', keyLength: 16, saltLength: 14 },
];

export function srtpProfileById(id: number): SrtpProfile | undefined {
  return SRTP_PROFILES.find((p) => p.id === id);
}

export function srtpProfileByName(name: SrtpProfileName): SrtpProfile {
  const p = SRTP_PROFILES.find((x) => x.name === name);
  if (!p) throw new TypeError(`unknown SRTP profile ${name}`);
  return p;
}

export const SRTP_EXPORTER_LABEL = 'EXTRACTOR-dtls_srtp';

/** Master keys and salts for both directions, and which of them this side uses to send. */
export interface SrtpKeyingMaterial {
  readonly profile: SrtpProfile;
  readonly clientWriteKey: Uint8Array;
  readonly serverWriteKey: Uint8Array;
  readonly clientWriteSalt: Uint8Array;
  readonly serverWriteSalt: Uint8Array;
  /** Key and salt this endpoint protects outgoing SRTP with, and those it uses to unprotect. */
  readonly localKey: Uint8Array;
  readonly localSalt: Uint8Array;
  readonly remoteKey: Uint8Array;
  readonly remoteSalt: Uint8Array;
}

export function srtpKeyingMaterialLength(profile: SrtpProfile): number {
  return 2 * (profile.keyLength + profile.saltLength);
}

/** Split exporter output: client key, server key, client salt, server salt (RFC 5764 §4.2). */
export function splitSrtpKeyingMaterial(
  profile: SrtpProfile,
  material: Uint8Array,
  isClient: boolean,
): SrtpKeyingMaterial {
  const k = profile.keyLength;
  const s = profile.saltLength;
  const clientWriteKey = material.slice(0, k);
  const serverWriteKey = material.slice(k, 2 * k);
  const clientWriteSalt = material.slice(2 * k, 2 * k + s);
  const serverWriteSalt = material.slice(2 * k + s, 2 * k + 2 * s);
  return {
    profile,
    clientWriteKey,
    serverWriteKey,
    clientWriteSalt,
    serverWriteSalt,
    localKey: isClient ? clientWriteKey : serverWriteKey,
    localSalt: isClient ? clientWriteSalt : serverWriteSalt,
    remoteKey: isClient ? serverWriteKey : clientWriteKey,
    remoteSalt: isClient ? serverWriteSalt : clientWriteSalt,
  };
}
