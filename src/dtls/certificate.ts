/**
 * RTCCertificate: a self-signed X.509 certificate and its private key (W3C webrtc-pc §4.9). node:crypto
 * makes the key pair and the signature, `certificate-writer.ts` the DER around them; nothing is patched
 * into the process (an X.509 library over WebCrypto needed the reflect-metadata polyfill).
 */
import { createECDH, createPrivateKey, generateKeyPair, type KeyObject, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { notSupported } from '../common/errors.js';
import { randomBytes } from '../common/random.js';
import {
  type CertificateSignatureAlgorithm,
  ecSubjectPublicKeyInfo,
  writeSelfSignedCertificate,
} from './certificate-writer.js';
import { computeFingerprint, RTCDtlsFingerprint } from './fingerprint.js';

/** The W3C keygen dictionaries RTCPeerConnection.generateCertificate accepts, plus `expires` (ms). */
export type RTCCertificateKeygenAlgorithm =
  | { name: 'ECDSA'; namedCurve: 'P-256' | 'P-384'; expires?: number }
  | {
      name: 'RSASSA-PKCS1-v1_5';
      modulusLength?: number;
      publicExponent?: Uint8Array;
      hash?: 'SHA-256' | 'SHA-384' | { name: 'SHA-256' | 'SHA-384' };
      expires?: number;
    };

/** What the handshake needs to sign with this certificate's key. */
export type CertificateKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa';

const DAY = 86_400_000;
/** Browsers' default lifetime for generated certificates. */
const DEFAULT_LIFETIME = 30 * DAY;
/** The longest lifetime W3C allows; longer requests are shortened to it (webrtc-pc §4.9.1). */
const MAX_LIFETIME = 365 * DAY;

const generateKeyPairAsync = promisify(generateKeyPair);

export function keyTypeOf(key: KeyObject): CertificateKeyType | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return 'ecdsa-p256';
  if (curve === 'secp384r1') return 'ecdsa-p384';
  return undefined;
}

export class RTCCertificate {
  /** DER bytes of the certificate. */
  readonly der: Uint8Array;
  readonly privateKey: KeyObject;
  readonly keyType: CertificateKeyType;
  /** When the certificate stops being valid, in ms since the Unix epoch (W3C `expires`). */
  readonly expires: number;
  private sha256: string | undefined;

  private constructor(der: Uint8Array, privateKey: KeyObject, keyType: CertificateKeyType, expires: number) {
    this.der = der;
    this.privateKey = privateKey;
    this.keyType = keyType;
    this.expires = expires;
  }

  /**
   * Generate a key pair and a self-signed certificate (ECDSA P-256 unless told otherwise). `expires` is the
   * lifetime in ms (default 30 days, at most 365); 0 gives a certificate that has already expired; a
   * negative or non-numeric value is a TypeError, an unsupported algorithm a NotSupportedError.
   */
  static async generateCertificate(
    keygenAlgorithm: RTCCertificateKeygenAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' },
  ): Promise<RTCCertificate> {
    const params: KeygenParameters =
      typeof keygenAlgorithm === 'object' && keygenAlgorithm !== null ? keygenAlgorithm : {};
    const lifetime = lifetimeOf(params.expires);
    const { subjectPublicKeyInfo, privateKey, keyType, signatureAlgorithm } = await keyPairFor(
      params,
      keygenAlgorithm,
    );
    const now = Date.now();
    // Written in whole seconds: the last whole second before now + lifetime, so 0 is already expired.
    const notAfter = Math.floor((now + lifetime - 1) / 1000) * 1000;
    const der = writeSelfSignedCertificate({
      subjectPublicKeyInfo,
      privateKey,
      signatureAlgorithm,
      // A leading 01 keeps the serial positive and of a fixed length.
      serialNumber: Uint8Array.of(1, ...randomBytes(8)),
      commonName: Buffer.from(randomBytes(8)).toString('hex'),
      notBefore: now - DAY,
      notAfter,
    });
    return new RTCCertificate(der, privateKey, keyType, notAfter);
  }

  /** Load a certificate and its private key from PEM text (as written by `toPem()` or OpenSSL). */
  static fromPem(certificatePem: string, privateKeyPem: string): RTCCertificate {
    const parsed = new X509Certificate(certificatePem);
    const privateKey = createPrivateKey(privateKeyPem);
    if (!parsed.checkPrivateKey(privateKey)) {
      throw new TypeError('the private key does not belong to the certificate');
    }
    const keyType = keyTypeOf(privateKey);
    if (!keyType) throw notSupported(`certificate key type ${privateKey.asymmetricKeyType} is not supported`);
    return new RTCCertificate(new Uint8Array(parsed.raw), privateKey, keyType, Date.parse(parsed.validTo));
  }

  /** Certificate and PKCS#8 private key as PEM, so a server can keep its identity across restarts. */
  toPem(): { certificate: string; privateKey: string } {
    return {
      certificate: new X509Certificate(this.der).toString(),
      privateKey: this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  }

  /**
   * The certificate's fingerprints as Chromium gives them: sha-256 only, lower-case hex joined by colons.
   * SDP writes fingerprints in upper case (RFC 8122 §5): `computeFingerprint()` gives that form.
   */
  getFingerprints(): RTCDtlsFingerprint[] {
    this.sha256 ??= computeFingerprint('sha-256', this.der).toLowerCase();
    return [new RTCDtlsFingerprint('sha-256', this.sha256)];
  }
}

/** The keygen dictionary as it may arrive from JavaScript: any member of any type. */
type KeygenParameters = Partial<
  Record<'name' | 'namedCurve' | 'hash' | 'modulusLength' | 'publicExponent' | 'expires', unknown>
>;

interface KeyPairChoice {
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly privateKey: KeyObject;
  readonly keyType: CertificateKeyType;
  readonly signatureAlgorithm: CertificateSignatureAlgorithm;
}

async function keyPairFor(params: KeygenParameters, input: unknown): Promise<KeyPairChoice> {
  if (params.name === 'ECDSA') {
    const curve = params.namedCurve;
    if (curve !== 'P-256' && curve !== 'P-384') throw notSupported(`ECDSA curve ${String(curve)}`);
    const p256 = curve === 'P-256';
    return {
      ...ecKeyPair(curve),
      keyType: p256 ? 'ecdsa-p256' : 'ecdsa-p384',
      signatureAlgorithm: p256 ? 'ecdsa-with-SHA256' : 'ecdsa-with-SHA384',
    };
  }
  if (params.name === 'RSASSA-PKCS1-v1_5') {
    const hashOption = params.hash ?? 'SHA-256';
    const hash =
      typeof hashOption === 'object' && hashOption !== null
        ? (hashOption as { name?: unknown }).name
        : hashOption;
    if (hash !== 'SHA-256' && hash !== 'SHA-384')
      throw notSupported(`RSASSA-PKCS1-v1_5 hash ${String(hash)}`);
    const modulusLength = params.modulusLength ?? 2048;
    if (
      typeof modulusLength !== 'number' ||
      !Number.isInteger(modulusLength) ||
      modulusLength < 1024 ||
      modulusLength > 8192
    ) {
      throw notSupported(`RSA modulus ${String(modulusLength)}`);
    }
    // RSA key generation takes tens to hundreds of milliseconds: on the thread pool.
    const keys = await generateKeyPairAsync('rsa', {
      modulusLength,
      publicExponent: publicExponentOf(params.publicExponent),
    });
    return {
      subjectPublicKeyInfo: new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' })),
      privateKey: keys.privateKey,
      keyType: 'rsa',
      signatureAlgorithm: hash === 'SHA-256' ? 'sha256WithRSAEncryption' : 'sha384WithRSAEncryption',
    };
  }
  throw notSupported(`certificate algorithm ${String(params.name ?? input)}`);
}

/**
 * An EC key pair in tens of microseconds: ECDH makes the scalar and the point, the signing KeyObject is
 * imported from them as JWK, and the SubjectPublicKeyInfo is written around the point. (A KeyObject pair
 * from generateKeyPairSync plus a DER export costs two to four times as much through OpenSSL 3's encoders.)
 */
function ecKeyPair(curve: 'P-256' | 'P-384'): { subjectPublicKeyInfo: Uint8Array; privateKey: KeyObject } {
  const size = curve === 'P-256' ? 32 : 48;
  const ecdh = createECDH(curve === 'P-256' ? 'prime256v1' : 'secp384r1');
  const point = ecdh.generateKeys();
  // getPrivateKey() drops leading zero bytes; JWK wants the full field size (RFC 7518 §6.2.2.1).
  const scalar = Buffer.alloc(size);
  const raw = ecdh.getPrivateKey();
  raw.copy(scalar, size - raw.byteLength);
  raw.fill(0);
  const privateKey = createPrivateKey({
    key: {
      kty: 'EC',
      crv: curve,
      d: scalar.toString('base64url'),
      x: point.subarray(1, 1 + size).toString('base64url'),
      y: point.subarray(1 + size).toString('base64url'),
    },
    format: 'jwk',
  });
  scalar.fill(0);
  return { subjectPublicKeyInfo: ecSubjectPublicKeyInfo(curve, new Uint8Array(point)), privateKey };
}

/** The lifetime asked for, in ms, as WebIDL `[EnforceRange] unsigned long long` reads it, capped at 365 days. */
function lifetimeOf(expires: unknown): number {
  if (expires === undefined) return DEFAULT_LIFETIME;
  if (
    typeof expires !== 'number' ||
    !Number.isFinite(expires) ||
    expires < 0 ||
    expires > Number.MAX_SAFE_INTEGER
  ) {
    throw new TypeError(`expires must be a non-negative number of milliseconds, not ${String(expires)}`);
  }
  return Math.min(Math.trunc(expires), MAX_LIFETIME);
}

/** WebCrypto's BigInteger (big-endian bytes) as the number node:crypto takes; 65537 by default. */
function publicExponentOf(bytes: unknown): number {
  if (bytes === undefined) return 65_537;
  if (!(bytes instanceof Uint8Array)) throw new TypeError('publicExponent must be a Uint8Array');
  let e = 0;
  for (const b of bytes) e = e * 256 + b;
  if (e < 3 || e % 2 === 0 || e > 0xffff_ffff) throw notSupported(`RSA public exponent ${e}`);
  return e;
}
