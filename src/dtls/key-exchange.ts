/** Ephemeral ECDH for the handshake (RFC 8422): X25519, P-256 and P-384, uncompressed points only. */
import {
  createECDH,
  createPublicKey,
  diffieHellman,
  type ECDH,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ProtocolError } from '../common/errors.js';
import { NamedGroup } from './constants.js';

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

  constructor() {
    const pair = generateKeyPairSync('x25519');
    this.privateKey = pair.privateKey;
    const x = pair.publicKey.export({ format: 'jwk' }).x;
    this.publicKey = new Uint8Array(Buffer.from(x ?? '', 'base64url'));
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

  constructor(readonly group: number) {
    const curve = group === NamedGroup.secp256r1 ? 'prime256v1' : 'secp384r1';
    this.pointLength = group === NamedGroup.secp256r1 ? 65 : 97;
    this.ecdh = createECDH(curve);
    this.publicKey = this.ecdh.generateKeys();
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

export function generateEphemeralKey(group: number): EphemeralKey {
  if (group === NamedGroup.x25519) return new X25519Key();
  if (group === NamedGroup.secp256r1 || group === NamedGroup.secp384r1) return new NistKey(group);
  throw new ProtocolError(`unsupported group ${group}`);
}
