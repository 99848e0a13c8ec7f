/** Certificate fingerprints as SDP carries them (RFC 8122 §5): upper-case hex bytes joined by colons. */
import { createHash } from 'node:crypto';

/** W3C RTCDtlsFingerprint. */
export class RTCDtlsFingerprint {
  constructor(
    readonly algorithm: string,
    readonly value: string,
  ) {}
}

/** Hash functions a fingerprint may name, mapped to node:crypto names. */
const ALGORITHMS: Record<string, string> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

export function isSupportedFingerprintAlgorithm(algorithm: string): boolean {
  return ALGORITHMS[algorithm.toLowerCase()] !== undefined;
}

export function computeFingerprint(algorithm: string, der: Uint8Array): string {
  const hash = ALGORITHMS[algorithm.toLowerCase()];
  if (!hash) throw new TypeError(`unsupported fingerprint algorithm ${algorithm}`);
  const hex = createHash(hash).update(der).digest('hex').toUpperCase();
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/**
 * True when `der` matches one of `expected` whose algorithm we know. Fingerprints with unknown algorithms
 * are ignored; a list with none we know never matches (the peer cannot be authenticated).
 */
export function matchesFingerprint(der: Uint8Array, expected: readonly RTCDtlsFingerprint[]): boolean {
  for (const fp of expected) {
    if (!isSupportedFingerprintAlgorithm(fp.algorithm)) continue;
    const wanted = fp.value.replace(/:/g, '').toUpperCase();
    if (computeFingerprint(fp.algorithm, der).replace(/:/g, '') === wanted) return true;
  }
  return false;
}
