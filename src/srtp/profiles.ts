/** SRTP protection profiles (RFC 3711, RFC 5764 §4.1.2, RFC 7714 §14.2) and their sizes in bytes. */

export type SrtpProfileName =
  | 'AES_CM_128_HMAC_SHA1_80'
  | 'AES_CM_128_HMAC_SHA1_32'
  | 'AEAD_AES_128_GCM'
  | 'AEAD_AES_256_GCM';

export interface SrtpProfile {
  readonly name: SrtpProfileName;
  /** The DTLS-SRTP protection profile id (RFC 5764 use_srtp extension). */
  readonly id: number;
  readonly aead: boolean;
  readonly masterKeyLength: number;
  readonly masterSaltLength: number;
  /** Session salt length (14 for AES-CM, 12 for AEAD). */
  readonly sessionSaltLength: number;
  /** HMAC-SHA1 session auth key length (0 for AEAD). */
  readonly authKeyLength: number;
  /** Auth tag appended to SRTP packets (the AEAD tag for GCM). */
  readonly rtpTagLength: number;
  /** Auth tag appended to SRTCP packets (80 bits even for the _32 profile, RFC 5764 §4.1.2). */
  readonly rtcpTagLength: number;
}

export const SRTP_PROFILES: Readonly<Record<SrtpProfileName, SrtpProfile>> = {
  AES_CM_128_HMAC_SHA1_80: {
    name: 'AES_CM_128_HMAC_SHA1_80',
    id: 0x0001,
    aead: false,
    masterKeyLength: 16,
    masterSaltLength: 14,
    sessionSaltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  AES_CM_128_HMAC_SHA1_32: {
    name: 'AES_CM_128_HMAC_SHA1_32',
    id: 0x0002,
    aead: false,
    masterKeyLength: 16,
    masterSaltLength: 14,
    sessionSaltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 4,
    rtcpTagLength: 10,
  },
  AEAD_AES_128_GCM: {
    name: 'AEAD_AES_128_GCM',
    id: 0x0007,
    aead: true,
    masterKeyLength: 16,
    masterSaltLength: 12,
    sessionSaltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
  AEAD_AES_256_GCM: {
    name: 'AEAD_AES_256_GCM',
    id: 0x0008,
    aead: true,
    masterKeyLength: 32,
    masterSaltLength: 12,
    sessionSaltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
};

/** The RFC 5764 / RFC 7714 DTLS-SRTP spellings (as the DTLS layer reports them). */
const DTLS_SRTP_NAMES: Readonly<Record<string, SrtpProfileName>> = {
  SRTP_AES128_CM_HMAC_SHA1_80: 'AES_CM_128_HMAC_SHA1_80',
  SRTP_AES128_CM_HMAC_SHA1_32: 'AES_CM_128_HMAC_SHA1_32',
  SRTP_AEAD_AES_128_GCM: 'AEAD_AES_128_GCM',
  SRTP_AEAD_AES_256_GCM: 'AEAD_AES_256_GCM',
};

/**
 * Look a profile up by name (RFC 4568 spelling, e.g. `AES_CM_128_HMAC_SHA1_80`, or the DTLS-SRTP one,
 * e.g. `SRTP_AES128_CM_HMAC_SHA1_80`) or by its DTLS-SRTP id; throws TypeError when unknown.
 */
export function srtpProfile(profile: SrtpProfileName | string | number | SrtpProfile): SrtpProfile {
  if (typeof profile === 'object') return profile;
  if (typeof profile === 'string') {
    const name = DTLS_SRTP_NAMES[profile] ?? profile;
    if (Object.hasOwn(SRTP_PROFILES, name)) return SRTP_PROFILES[name as SrtpProfileName];
  } else {
    for (const p of Object.values(SRTP_PROFILES)) if (p.id === profile) return p;
  }
  throw new TypeError(`unsupported SRTP protection profile ${String(profile)}`);
}

/** Master keys and salts for both directions, as `SrtpSession` takes them. */
export interface SrtpKeys {
  localMasterKey: Uint8Array;
  localMasterSalt: Uint8Array;
  remoteMasterKey: Uint8Array;
  remoteMasterSalt: Uint8Array;
}

/**
 * Split RFC 5764 §4.2 keying material (client key, server key, client salt, server salt) into local and
 * remote keys for the given DTLS role.
 */
export function splitKeyingMaterial(
  profile: SrtpProfileName | string | number | SrtpProfile,
  material: Uint8Array,
  role: 'client' | 'server',
): SrtpKeys {
  const p = srtpProfile(profile);
  const k = p.masterKeyLength;
  const s = p.masterSaltLength;
  if (material.byteLength < 2 * (k + s)) throw new RangeError(`keying material must be ${2 * (k + s)} bytes`);
  const clientKey = material.slice(0, k);
  const serverKey = material.slice(k, 2 * k);
  const clientSalt = material.slice(2 * k, 2 * k + s);
  const serverSalt = material.slice(2 * k + s, 2 * k + 2 * s);
  return role === 'client'
    ? {
        localMasterKey: clientKey,
        localMasterSalt: clientSalt,
        remoteMasterKey: serverKey,
        remoteMasterSalt: serverSalt,
      }
    : {
        localMasterKey: serverKey,
        localMasterSalt: serverSalt,
        remoteMasterKey: clientKey,
        remoteMasterSalt: clientSalt,
      };
}
