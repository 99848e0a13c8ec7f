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

const ALGORITHMS: Record<CertificateSignatureAlgorithm, { oid: string; hash: string; rsa: boolean }> = {
  'ecdsa-with-SHA256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256', rsa: false },
  'ecdsa-with-SHA384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384', rsa: false },
  sha256WithRSAEncryption: { oid: '1.2.840.113549.1.1.11', hash: 'sha256', rsa: true },
  sha384WithRSAEncryption: { oid: '1.2.840.113549.1.1.12', hash: 'sha384', rsa: true },
};

/** id-at-commonName (X.520). */
const COMMON_NAME = '2.5.4.3';

export interface SelfSignedCertificateFields {
  readonly publicKey: KeyObject;
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
  const algorithm = ALGORITHMS[fields.signatureAlgorithm];
  if (
    fields.serialNumber.byteLength === 0 ||
    fields.serialNumber.byteLength > 20 ||
    fields.serialNumber[0] === 0
  ) {
    throw new RangeError('the serial number must be 1-20 bytes without a leading zero');
  }
  // ECDSA identifiers have no parameters; the RSA ones carry NULL (RFC 5758 §3.2, RFC 4055 §5).
  const algorithmIdentifier = algorithm.rsa
    ? derSequence(derObjectIdentifier(algorithm.oid), derNull())
    : derSequence(derObjectIdentifier(algorithm.oid));
  const name = derSequence(
    derSet(derSequence(derObjectIdentifier(COMMON_NAME), derPrintableString(fields.commonName))),
  );
  const spki = new Uint8Array(fields.publicKey.export({ type: 'spki', format: 'der' }));
  const tbs = derSequence(
    derExplicit(0, derSmallInteger(2)), // v3
    derUnsignedInteger(fields.serialNumber),
    algorithmIdentifier,
    name,
    derSequence(derTime(fields.notBefore), derTime(fields.notAfter)),
    name,
    spki,
  );
  const signature = sign(algorithm.hash, tbs, fields.privateKey);
  return derSequence(tbs, algorithmIdentifier, derBitString(new Uint8Array(signature)));
}
