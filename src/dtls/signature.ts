/** Handshake signatures: ECDSA (DER-encoded, as TLS carries it), RSA PKCS#1 v1.5 and RSA-PSS (rsae). */
import { constants, type KeyObject, sign, verify } from 'node:crypto';
import type { CertificateKeyType } from './certificate.js';
import { SignatureScheme } from './constants.js';

interface SchemeInfo {
  readonly hash: 'sha256' | 'sha384';
  readonly key: 'ec' | 'rsa';
  readonly pss: boolean;
}

const SCHEMES = new Map<number, SchemeInfo>([
  [SignatureScheme.ecdsaSecp256r1Sha256, { hash: 'sha256', key: 'ec', pss: false }],
  [SignatureScheme.ecdsaSecp384r1Sha384, { hash: 'sha384', key: 'ec', pss: false }],
  [SignatureScheme.rsaPssRsaeSha256, { hash: 'sha256', key: 'rsa', pss: true }],
  [SignatureScheme.rsaPssRsaeSha384, { hash: 'sha384', key: 'rsa', pss: true }],
  [SignatureScheme.rsaPkcs1Sha256, { hash: 'sha256', key: 'rsa', pss: false }],
  [SignatureScheme.rsaPkcs1Sha384, { hash: 'sha384', key: 'rsa', pss: false }],
]);

/** What we offer in signature_algorithms and CertificateRequest (verification side). */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsaSecp256r1Sha256,
  SignatureScheme.rsaPssRsaeSha256,
  SignatureScheme.rsaPkcs1Sha256,
  SignatureScheme.ecdsaSecp384r1Sha384,
  SignatureScheme.rsaPssRsaeSha384,
  SignatureScheme.rsaPkcs1Sha384,
];

/** Schemes our own key can sign with, best first. */
function preferredSchemes(keyType: CertificateKeyType): readonly number[] {
  switch (keyType) {
    case 'ecdsa-p256':
      return [SignatureScheme.ecdsaSecp256r1Sha256, SignatureScheme.ecdsaSecp384r1Sha384];
    case 'ecdsa-p384':
      return [SignatureScheme.ecdsaSecp384r1Sha384, SignatureScheme.ecdsaSecp256r1Sha256];
    case 'rsa':
      return [
        SignatureScheme.rsaPssRsaeSha256,
        SignatureScheme.rsaPkcs1Sha256,
        SignatureScheme.rsaPssRsaeSha384,
        SignatureScheme.rsaPkcs1Sha384,
      ];
  }
}

/**
 * The scheme to sign with, given what the peer accepts. A peer that sent no list gets our first choice
 * (RFC 5246's SHA-1 default is not offered by us; such a peer fails the handshake on its side).
 */
export function chooseSignatureScheme(
  keyType: CertificateKeyType,
  peerSchemes: readonly number[] | undefined,
): number | undefined {
  const ours = preferredSchemes(keyType);
  if (!peerSchemes) return ours[0];
  return ours.find((s) => peerSchemes.includes(s));
}

export function signWith(key: KeyObject, scheme: number, data: Uint8Array): Uint8Array {
  const info = SCHEMES.get(scheme);
  if (!info) throw new TypeError(`cannot sign with scheme ${scheme}`);
  if (info.key === 'ec') return sign(info.hash, data, { key, dsaEncoding: 'der' });
  if (info.pss) {
    return sign(info.hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return sign(info.hash, data, { key, padding: constants.RSA_PKCS1_PADDING });
}

/** True only for a valid signature by `key` with a scheme we support and that fits the key. Never throws. */
export function verifyWith(key: KeyObject, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
  const info = SCHEMES.get(scheme);
  if (!info) return false;
  try {
    if (info.key === 'ec') {
      if (key.asymmetricKeyType !== 'ec') return false;
      return verify(info.hash, data, { key, dsaEncoding: 'der' }, signature);
    }
    if (key.asymmetricKeyType !== 'rsa') return false;
    if (info.pss) {
      return verify(
        info.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    return verify(info.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}
