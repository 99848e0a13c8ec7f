/**
 * What the client and server handshakes share: configuration, the transcript, the key schedule
 * (master secret, extended master secret, key block, Finished) and the failure type that carries an alert.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import type { RandomSource } from '../common/random.js';
import type { CertificateKeyType } from './certificate.js';
import type { CipherSuite } from './cipher-suites.js';
import { AlertDescription } from './constants.js';
import type { FlightEntry } from './flight.js';
import { type HandshakeMessage, transcriptEntry } from './handshake-reassembly.js';
import * as keys from './prf.js';
import { type EpochKeys, epochKeysFromKeyBlock, keyBlockLength } from './record-cipher.js';
import type { SrtpProfile } from './srtp-profiles.js';

/** A handshake error that ends the connection with a fatal alert. */
export class HandshakeFailure extends Error {
  override name = 'HandshakeFailure';
  constructor(
    readonly alert: number,
    message: string,
  ) {
    super(message);
  }
}

/** Our identity for the handshake: a certificate (DER) and the key that signs with it. */
export interface DtlsCredential {
  readonly der: Uint8Array;
  readonly privateKey: KeyObject;
  readonly keyType: CertificateKeyType;
}

export interface HandshakeConfig {
  readonly credential: DtlsCredential;
  /** Decides whether the peer's certificate chain is the one we expect (fingerprint check). */
  readonly verifyPeer: (chain: readonly Uint8Array[]) => boolean;
  readonly cipherSuites: readonly CipherSuite[];
  readonly groups: readonly number[];
  readonly srtpProfiles: readonly SrtpProfile[];
  /** Refuse peers that do not offer the extended master secret (RFC 7627). */
  readonly requireExtendedMasterSecret: boolean;
  /** Hello randoms, ECDHE private keys and CBC explicit IVs. */
  readonly random: RandomSource;
}

/** The engine services a handshake uses. */
export interface HandshakeHost {
  /** Send a new flight; `final` flights get no retransmission timer (they are resent on demand). */
  sendFlight(entries: FlightEntry[], final: boolean): void;
  /** Keys for epoch 1 are known: writing may use them, reading switches at the peer's ChangeCipherSpec. */
  installKeys(keys: EpochKeys): void;
  /** Expect the peer's next handshake message at `seq` (after a HelloVerifyRequest). */
  expectReceiveSeq(seq: number): void;
}

export interface NegotiatedParameters {
  readonly suite: CipherSuite;
  readonly extendedMasterSecret: boolean;
  readonly srtpProfile: SrtpProfile | undefined;
  readonly group: number;
}

export abstract class Handshake {
  protected transcript: Uint8Array[] = [];
  protected sendSeq = 0;
  clientRandom: Uint8Array = new Uint8Array(32);
  serverRandom: Uint8Array = new Uint8Array(32);
  protected master: Uint8Array | undefined;
  suite: CipherSuite | undefined;
  extendedMasterSecret = false;
  srtpProfile: SrtpProfile | undefined;
  group = 0;
  peerChain: readonly Uint8Array[] = [];
  protected peerKey: KeyObject | undefined;
  complete = false;

  constructor(
    protected readonly config: HandshakeConfig,
    protected readonly host: HandshakeHost,
  ) {}

  /** Take the next message in order; `expects(message)` was true. A failure throws HandshakeFailure. */
  abstract handle(message: HandshakeMessage): void;

  /**
   * Whether a fragment of `type` in `epoch` may belong to the peer's next flight. Anything else is dropped
   * before reassembly: anyone can send plaintext handshake records, so they must not change our state.
   */
  abstract acceptsFragment(type: number, epoch: number): boolean;

  /** Whether `message`, next in message_seq order, is the one this state takes (type and epoch). */
  abstract expects(message: HandshakeMessage): boolean;

  protected record(type: number, seq: number, body: Uint8Array): void {
    this.transcript.push(transcriptEntry(type, seq, body));
  }

  /** Append our own message to the transcript and return the flight entry that sends it. */
  protected outgoing(type: number, body: Uint8Array, epoch = 0): FlightEntry {
    const seq = this.sendSeq++;
    this.record(type, seq, body);
    return { kind: 'handshake', type, seq, body, epoch };
  }

  protected transcriptBytes(): Uint8Array {
    let total = 0;
    for (const t of this.transcript) total += t.byteLength;
    const out = new Uint8Array(total);
    let at = 0;
    for (const t of this.transcript) {
      out.set(t, at);
      at += t.byteLength;
    }
    return out;
  }

  protected transcriptHash(): Uint8Array {
    return keys.digest(this.suite!.prfHash, this.transcript);
  }

  /** Master secret and epoch-1 keys from the premaster secret; the transcript must end with ClientKeyExchange. */
  protected deriveKeys(preMasterSecret: Uint8Array): EpochKeys {
    const suite = this.suite!;
    this.master = this.extendedMasterSecret
      ? keys.extendedMasterSecret(suite.prfHash, preMasterSecret, this.transcriptHash())
      : keys.masterSecret(suite.prfHash, preMasterSecret, this.clientRandom, this.serverRandom);
    const block = keys.keyBlock(
      suite.prfHash,
      this.master,
      this.clientRandom,
      this.serverRandom,
      keyBlockLength(suite),
    );
    return epochKeysFromKeyBlock(suite, block, 'auto', this.config.random);
  }

  protected finishedData(label: 'client finished' | 'server finished'): Uint8Array {
    return keys.verifyData(this.suite!.prfHash, this.master!, label, this.transcriptHash());
  }

  /** Check the peer's chain against the expected fingerprints and take its public key. */
  protected acceptPeerChain(chain: Uint8Array[]): void {
    if (chain.length === 0)
      throw new HandshakeFailure(AlertDescription.handshakeFailure, 'peer sent no certificate');
    let key: KeyObject;
    try {
      key = new X509Certificate(chain[0]!).publicKey;
    } catch {
      throw new HandshakeFailure(AlertDescription.badCertificate, 'peer certificate does not parse');
    }
    if (!this.config.verifyPeer(chain)) {
      throw new HandshakeFailure(
        AlertDescription.badCertificate,
        'peer certificate does not match the fingerprint',
      );
    }
    this.peerChain = chain;
    this.peerKey = key;
  }

  exportKeyingMaterial(label: string, length: number): Uint8Array {
    if (!this.master || !this.complete) throw new Error('handshake not complete');
    return keys.exportKeyingMaterial(
      this.suite!.prfHash,
      this.master,
      label,
      this.clientRandom,
      this.serverRandom,
      length,
    );
  }
}

export function expectEpoch(message: HandshakeMessage, epoch: number): void {
  if (message.epoch !== epoch) {
    throw new HandshakeFailure(
      AlertDescription.unexpectedMessage,
      `handshake message ${message.type} arrived in epoch ${message.epoch}, expected ${epoch}`,
    );
  }
}
