/**
 * RTCCertificate: a self-signed X.509 certificate and its private key (W3C webrtc-pc §4.9). The certificate
 * is written by @peculiar/x509 over WebCrypto; everything after that (signing, fingerprints, PEM) uses
 * node:crypto KeyObjects.
 */
import { createPrivateKey, type KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { notSupported } from '../common/errors.js';
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
const FINGERPRINT_ALGORITHMS = ['sha-256', 'sha-384', 'sha-512'] as const;

/**
 * @peculiar/x509 resolves its algorithms through tsyringe, which needs the reflect-metadata polyfill loaded
 * first; both are loaded on first use so that importing tsrtc stays cheap.
 */
async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

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
  private fingerprints: RTCDtlsFingerprint[] | undefined;

  private constructor(der: Uint8Array, privateKey: KeyObject) {
    const parsed = new X509Certificate(der);
    if (!parsed.checkPrivateKey(privateKey)) {
      throw new TypeError('the private key does not belong to the certificate');
    }
    const keyType = keyTypeOf(privateKey);
    if (!keyType) throw notSupported(`certificate key type ${privateKey.asymmetricKeyType} is not supported`);
    this.der = der;
    this.privateKey = privateKey;
    this.keyType = keyType;
    this.expires = Date.parse(parsed.validTo);
  }

  /** Generate a key pair and a self-signed certificate (ECDSA P-256 unless told otherwise). */
  static async generateCertificate(
    keygenAlgorithm: RTCCertificateKeygenAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' },
  ): Promise<RTCCertificate> {
    const subtle = webcrypto.subtle;
    let keys: webcrypto.CryptoKeyPair;
    let signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
    if (keygenAlgorithm.name === 'ECDSA') {
      const curve = keygenAlgorithm.namedCurve;
      if (curve !== 'P-256' && curve !== 'P-384') throw notSupported(`ECDSA curve ${String(curve)}`);
      keys = await subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']);
      signingAlgorithm = { name: 'ECDSA', hash: curve === 'P-256' ? 'SHA-256' : 'SHA-384' };
    } else if (keygenAlgorithm.name === 'RSASSA-PKCS1-v1_5') {
      const hashOption = keygenAlgorithm.hash ?? 'SHA-256';
      const hash = typeof hashOption === 'string' ? hashOption : hashOption.name;
      const modulusLength = keygenAlgorithm.modulusLength ?? 2048;
      if (modulusLength < 1024 || modulusLength > 8192) throw notSupported(`RSA modulus ${modulusLength}`);
      keys = await subtle.generateKey(
        {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength,
          publicExponent: keygenAlgorithm.publicExponent ?? new Uint8Array([1, 0, 1]),
          hash,
        },
        true,
        ['sign', 'verify'],
      );
      signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5' };
    } else {
      throw notSupported(`certificate algorithm ${(keygenAlgorithm as { name: string }).name}`);
    }
    const now = Date.now();
    const lifetime = keygenAlgorithm.expires ?? DEFAULT_LIFETIME;
    if (!(lifetime > 0)) throw new TypeError('expires must be a positive number of milliseconds');
    const x509 = await loadX509();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: `01${Buffer.from(randomBytes(8)).toString('hex')}`,
        name: `CN=${Buffer.from(randomBytes(8)).toString('hex')}`,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + lifetime),
        signingAlgorithm,
        keys,
      },
      webcrypto,
    );
    const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
    const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    return new RTCCertificate(new Uint8Array(certificate.rawData), privateKey);
  }

  /** Load a certificate and its private key from PEM text (as written by `toPem()` or OpenSSL). */
  static fromPem(certificatePem: string, privateKeyPem: string): RTCCertificate {
    const parsed = new X509Certificate(certificatePem);
    return new RTCCertificate(new Uint8Array(parsed.raw), createPrivateKey(privateKeyPem));
  }

  /** Certificate and PKCS#8 private key as PEM, so a server can keep its identity across restarts. */
  toPem(): { certificate: string; privateKey: string } {
    return {
      certificate: new X509Certificate(this.der).toString(),
      privateKey: this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  }

  /** sha-256, sha-384 and sha-512 fingerprints of the certificate, sha-256 first. */
  getFingerprints(): RTCDtlsFingerprint[] {
    this.fingerprints ??= FINGERPRINT_ALGORITHMS.map(
      (algorithm) => new RTCDtlsFingerprint(algorithm, computeFingerprint(algorithm, this.der)),
    );
    return [...this.fingerprints];
  }
}
