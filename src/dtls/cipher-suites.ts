/** The cipher suites tsrtc speaks, in order of preference, and what each one needs from the key block. */

export type CipherSuiteName =
  | 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'
  | 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'
  | 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'
  | 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'
  | 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'
  | 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'
  | 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'
  | 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'
  | 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'
  | 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA';

export type RecordCipherKind = 'aes-gcm' | 'chacha20-poly1305' | 'aes-cbc-hmac-sha1';

export interface CipherSuite {
  readonly id: number;
  readonly name: CipherSuiteName;
  /** The certificate key the server must hold. */
  readonly authentication: 'ecdsa' | 'rsa';
  readonly kind: RecordCipherKind;
  /** The hash of the PRF, the Finished and the extended master secret. */
  readonly prfHash: 'sha256' | 'sha384';
  readonly keyLength: number;
  /** Implicit IV from the key block (GCM salt 4, ChaCha20 nonce 12, CBC 0). */
  readonly fixedIvLength: number;
  readonly macKeyLength: number;
}

function suite(
  id: number,
  name: CipherSuiteName,
  kind: RecordCipherKind,
  keyLength: number,
  prfHash: 'sha256' | 'sha384' = 'sha256',
): CipherSuite {
  return {
    id,
    name,
    authentication: name.includes('_ECDSA_') ? 'ecdsa' : 'rsa',
    kind,
    prfHash,
    keyLength,
    fixedIvLength: kind === 'aes-gcm' ? 4 : kind === 'chacha20-poly1305' ? 12 : 0,
    macKeyLength: kind === 'aes-cbc-hmac-sha1' ? 20 : 0,
  };
}

/** In order of preference: AEAD first (ECDSA, then RSA twins), CBC last for older peers. */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  suite(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'aes-gcm', 16),
  suite(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'aes-gcm', 32, 'sha384'),
  suite(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 32),
  suite(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-gcm', 16),
  suite(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-gcm', 32, 'sha384'),
  suite(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 32),
  suite(0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'aes-cbc-hmac-sha1', 16),
  suite(0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'aes-cbc-hmac-sha1', 32),
  suite(0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'aes-cbc-hmac-sha1', 16),
  suite(0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'aes-cbc-hmac-sha1', 32),
];

const BY_ID = new Map(CIPHER_SUITES.map((s) => [s.id, s]));
const BY_NAME = new Map(CIPHER_SUITES.map((s) => [s.name, s]));

export function cipherSuiteById(id: number): CipherSuite | undefined {
  return BY_ID.get(id);
}

export function cipherSuiteByName(name: CipherSuiteName): CipherSuite {
  const s = BY_NAME.get(name);
  if (!s) throw new TypeError(`unknown cipher suite ${name}`);
  return s;
}
