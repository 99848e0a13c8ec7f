/**
 * Ephemeral ECDH for the handshake (RFC 8422): X25519, P-256 and P-384, uncompressed points only.
 * Private keys come from the engine's RandomSource, so a seeded simulation repeats its key shares; with the
 * system CSPRNG node:crypto generates them itself, which is faster (X25519 from bytes needs a PKCS#8
 * import, several times the cost of a generated pair; P-256 from bytes ~2x).
 *
 * Never export a generated key as JWK: in Node 20 a garbage collection during `export({ format: 'jwk' })`
 * can run the destructor of the key-generation job, which takes the lock the export holds, and the process
 * hangs (reproduced within ~10,000 X25519 pairs). The public value is computed from the private key instead
 * (it used to be read from a DER export).
 */
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type ECDH,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ProtocolError } from '../common/errors.js';
import { cryptoRandom, type RandomSource } from '../common/random.js';
import { NamedGroup } from './constants.js';

/** PKCS#8 PrivateKeyInfo for X25519 (RFC 8410 §7) up to the 32-byte key: SEQUENCE, version 0, id-X25519. */
const X25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

let basePoint: KeyObject | undefined;

/**
 * A private key's public value: X25519(k, 9), the scalar times the base point (RFC 7748 §6.1). One scalar
 * multiplication costs about half of exporting the public key as DER through OpenSSL 3's encoders.
 */
function x25519PublicValue(privateKey: KeyObject): Uint8Array {
  basePoint ??= createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from([9, ...new Uint8Array(31)]).toString('base64url') },
    format: 'jwk',
  });
  return new Uint8Array(diffieHellman({ privateKey, publicKey: basePoint }));
}

/** Draws for a NIST private key below the group order; one retry is already a 2^-32 event. */
const MAX_SCALAR_DRAWS = 16;

export interface EphemeralKey {
  readonly group: number;
  /** Our public value as it goes on the wire. */
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's public value; ProtocolError when that value is invalid. */
  computeSecret(peer: Uint8Array): Uint8Array;
}

class X25519Key implements EphemeralKey {
  readonly group = NamedGroup.x25519;
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;

  constructor(random: RandomSource) {
    if (random === cryptoRandom) {
      this.privateKey = generateKeyPairSync('x25519').privateKey;
      this.publicKey = x25519PublicValue(this.privateKey);
      return;
    }
    // Any 32 bytes are a valid X25519 private key (RFC 7748 §5 clamps them).
    const der = Buffer.alloc(X25519_PKCS8_PREFIX.byteLength + 32);
    der.set(X25519_PKCS8_PREFIX);
    random.fill(der.subarray(X25519_PKCS8_PREFIX.byteLength));
    this.privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    this.publicKey = x25519PublicValue(this.privateKey);
  }

  computeSecret(peer: Uint8Array): Uint8Array {
    if (peer.byteLength !== 32) throw new ProtocolError('X25519 public key must be 32 bytes');
    let secret: Buffer;
    try {
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') },
        format: 'jwk',
      });
      secret = diffieHellman({ privateKey: this.privateKey, publicKey });
    } catch {
      throw new ProtocolError('invalid X25519 public key');
    }
    // An all-zero result means a small-order point (RFC 7748 §6.1).
    if (secret.every((b) => b === 0)) throw new ProtocolError('X25519 shared secret is zero');
    return secret;
  }
}

class NistKey implements EphemeralKey {
  readonly publicKey: Uint8Array;
  private readonly ecdh: ECDH;
  private readonly pointLength: number;

  constructor(
    readonly group: number,
    random: RandomSource,
  ) {
    const p256 = group === NamedGroup.secp256r1;
    this.pointLength = p256 ? 65 : 97;
    this.ecdh = createECDH(p256 ? 'prime256v1' : 'secp384r1');
    this.publicKey =
      random === cryptoRandom ? this.ecdh.generateKeys() : this.fromRandom(random, p256 ? 32 : 48);
  }

  /** A scalar in [1, n-1] by rejection: node:crypto refuses 0 and values at or above the order. */
  private fromRandom(random: RandomSource, length: number): Uint8Array {
    const scalar = Buffer.alloc(length);
    for (let i = 0; i < MAX_SCALAR_DRAWS; i++) {
      random.fill(scalar);
      try {
        this.ecdh.setPrivateKey(scalar);
        return this.ecdh.getPublicKey();
      } catch {
        // out of range: draw again
      } finally {
        scalar.fill(0);
      }
    }
    throw new Error('the random source gives no valid EC private key');
  }

  computeSecret(peer: Uint8Array): Uint8Array {
    if (peer.byteLength !== this.pointLength || peer[0] !== 4) {
      throw new ProtocolError('EC point must be uncompressed and of the curve size');
    }
    try {
      return this.ecdh.computeSecret(peer);
    } catch {
      throw new ProtocolError('EC point is not on the curve');
    }
  }
}

export const SUPPORTED_GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
];

export function isSupportedGroup(group: number): boolean {
  return SUPPORTED_GROUPS.includes(group);
}

export function generateEphemeralKey(group: number, random: RandomSource = cryptoRandom): EphemeralKey {
  if (group === NamedGroup.x25519) return new X25519Key(random);
  if (group === NamedGroup.secp256r1 || group === NamedGroup.secp384r1) return new NistKey(group, random);
  throw new ProtocolError(`unsupported group ${group}`);
}
