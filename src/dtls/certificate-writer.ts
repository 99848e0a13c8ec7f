/**
 * Self-signed X.509 v3 certificates (RFC 5280 §4.1) as WebRTC uses them: a random serial number, the same
 * random common name as issuer and subject, a validity period, the public key, and no extensions (the
 * peer checks the certificate only against the fingerprint signalled in SDP). node:crypto makes the key and
 * the signature; this file only writes the DER around them.
 */
import { type KeyObject, sign } from 'node:crypto';
import {
  derBitString,
  derExplicit,
  derNull,
  derObjectIdentifier,
  derPrintableString,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
} from './der.js';

/** The certificate signature algorithms we write, with their OIDs (RFC 5758 §3.2, RFC 4055 §5). */
export type CertificateSignatureAlgorithm =
  | 'ecdsa-with-SHA256'
  | 'ecdsa-with-SHA384'
  | 'sha256WithRSAEncryption'
  | 'sha384WithRSAEncryption';

/** OIDs and hashes of the signature algorithms (RFC 5758 §3.2, RFC 4055 §5). */
const SIGNATURE_ALGORITHMS: Record<
  CertificateSignatureAlgorithm,
  { oid: string; hash: string; rsa: boolean }
> = {
  'ecdsa-with-SHA256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256', rsa: false },
  'ecdsa-with-SHA384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384', rsa: false },
  sha256WithRSAEncryption: { oid: '1.2.840.113549.1.1.11', hash: 'sha256', rsa: true },
  sha384WithRSAEncryption: { oid: '1.2.840.113549.1.1.12', hash: 'sha384', rsa: true },
};

/**
 * The fixed parts, encoded once: each signature AlgorithmIdentifier (ECDSA ones have no parameters, the
 * RSA ones carry NULL), the version, the commonName attribute type, the EC key algorithm identifiers.
 */
const ALGORITHM_IDENTIFIERS = Object.fromEntries(
  Object.entries(SIGNATURE_ALGORITHMS).map(([name, a]) => [
    name,
    a.rsa ? derSequence(derObjectIdentifier(a.oid), derNull()) : derSequence(derObjectIdentifier(a.oid)),
  ]),
) as Record<CertificateSignatureAlgorithm, Uint8Array>;
const VERSION_3 = derExplicit(0, derSmallInteger(2));
/** id-at-commonName (X.520). */
const COMMON_NAME = derObjectIdentifier('2.5.4.3');
/** id-ecPublicKey with its named curve (RFC 5480 §2.1.1). */
const EC_KEY_ALGORITHMS = {
  'P-256': derSequence(derObjectIdentifier('1.2.840.10045.2.1'), derObjectIdentifier('1.2.840.10045.3.1.7')),
  'P-384': derSequence(derObjectIdentifier('1.2.840.10045.2.1'), derObjectIdentifier('1.3.132.0.34')),
} as const;

/** The SubjectPublicKeyInfo of an EC public key given as an uncompressed point (RFC 5480 §2). */
export function ecSubjectPublicKeyInfo(curve: 'P-256' | 'P-384', point: Uint8Array): Uint8Array {
  return derSequence(EC_KEY_ALGORITHMS[curve], derBitString(point));
}

export interface SelfSignedCertificateFields {
  /** DER SubjectPublicKeyInfo of the key pair. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly privateKey: KeyObject;
  readonly signatureAlgorithm: CertificateSignatureAlgorithm;
  /** Big-endian magnitude of a positive serial number, at most 20 bytes (RFC 5280 §4.1.2.2). */
  readonly serialNumber: Uint8Array;
  /** PrintableString characters only. */
  readonly commonName: string;
  /** Validity, ms since the Unix epoch; written in whole seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The DER of a self-signed certificate over `fields`. */
export function writeSelfSignedCertificate(fields: SelfSignedCertificateFields): Uint8Array {
  const algorithm = SIGNATURE_ALGORITHMS[fields.signatureAlgorithm];
  if (
    fields.serialNumber.byteLength === 0 ||
    fields.serialNumber.byteLength > 20 ||
    fields.serialNumber[0] === 0
  ) {
    throw new RangeError('the serial number must be 1-20 bytes without a leading zero');
  }
  const algorithmIdentifier = ALGORITHM_IDENTIFIERS[fields.signatureAlgorithm];
  const name = derSequence(derSet(derSequence(COMMON_NAME, derPrintableString(fields.commonName))));
  const tbs = derSequence(
    VERSION_3,
    derUnsignedInteger(fields.serialNumber),
    algorithmIdentifier,
    name,
    derSequence(derTime(fields.notBefore), derTime(fields.notAfter)),
    name,
    fields.subjectPublicKeyInfo,
  );
  const signature = sign(algorithm.hash, tbs, fields.privateKey);
  return derSequence(tbs, algorithmIdentifier, derBitString(new Uint8Array(signature)));
}
