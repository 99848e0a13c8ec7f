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
 * True when the certificate `der` matches the signalled fingerprints: at least one algorithm we know must
 * be present, and for every known algorithm present one of its values must match (aiortc requires every
 * supported fingerprint to match; grouping by algorithm also allows fingerprints of several certificates).
 * A mismatching strong hash cannot be outvoted by a matching weak one. Unknown algorithms are ignored.
 */
export function matchesFingerprint(der: Uint8Array, expected: readonly RTCDtlsFingerprint[]): boolean {
  const byAlgorithm = new Map<string, string[]>();
  for (const fp of expected) {
    const algorithm = fp.algorithm.toLowerCase();
    if (!isSupportedFingerprintAlgorithm(algorithm)) continue;
    const values = byAlgorithm.get(algorithm) ?? [];
    values.push(fp.value.replace(/:/g, '').toUpperCase());
    byAlgorithm.set(algorithm, values);
  }
  if (byAlgorithm.size === 0) return false;
  for (const [algorithm, values] of byAlgorithm) {
    const actual = computeFingerprint(algorithm, der).replace(/:/g, '');
    if (!values.includes(actual)) return false;
  }
  return true;
}
