/** The engine's options and events, and the handshake configuration they resolve to. */
import { cryptoRandom, type RandomSource } from '../common/random.js';
import type { DtlsRole } from '../common/transport.js';
import { CIPHER_SUITES, type CipherSuiteName, cipherSuiteByName } from './cipher-suites.js';
import { NamedGroup, type NamedGroupName } from './constants.js';
import type { DtlsCredential, HandshakeConfig } from './handshake-common.js';
import { SUPPORTED_GROUPS } from './key-exchange.js';
import { SRTP_PROFILES, type SrtpProfileName, srtpProfileByName } from './srtp-profiles.js';

export type DtlsEngineEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'closed'; readonly byPeer: boolean }
  | {
      readonly type: 'failed';
      readonly reason: string;
      readonly alert: number | undefined;
      readonly byPeer: boolean;
    };

export interface DtlsEngineOptions {
  readonly role: DtlsRole;
  readonly credential: DtlsCredential;
  /** Accept or refuse the peer's certificate chain (WebRTC: compare with the SDP fingerprint). */
  readonly verifyPeer: (chain: readonly Uint8Array[]) => boolean;
  readonly cipherSuites?: readonly CipherSuiteName[];
  readonly groups?: readonly NamedGroupName[];
  /** Empty to not offer use_srtp (data-only sessions may still offer it, as browsers do). */
  readonly srtpProfiles?: readonly SrtpProfileName[];
  /** Largest datagram to send (default 1200, the WebRTC path MTU assumption). */
  readonly mtu?: number;
  readonly initialRetransmitMs?: number;
  readonly maxRetransmitMs?: number;
  /** Give up a handshake that has not completed after this long (default 30 s). */
  readonly handshakeTimeoutMs?: number;
  readonly requireExtendedMasterSecret?: boolean;
  /** Server: the HelloVerifyRequest cookie key (default: random per engine). */
  readonly cookieSecret?: Uint8Array;
  /**
   * Server: prove the client's address with a HelloVerifyRequest before keeping any state (default true).
   * Behind ICE, whose connectivity checks and consent already prove it, turning it off saves a round trip.
   */
  readonly cookieExchange?: boolean;
  /**
   * Every random value the engine makes: hello randoms, the cookie secret, ECDHE private keys, CBC explicit
   * IVs (default: the system CSPRNG). A `SeededRandom` makes a simulation repeat itself; it is not secure.
   * ECDSA signatures stay randomized by node:crypto whatever the source.
   */
  readonly random?: RandomSource;
}

export function handshakeConfig(options: DtlsEngineOptions): HandshakeConfig {
  return {
    credential: options.credential,
    verifyPeer: options.verifyPeer,
    cipherSuites: options.cipherSuites ? options.cipherSuites.map(cipherSuiteByName) : CIPHER_SUITES,
    groups: options.groups ? options.groups.map((g) => NamedGroup[g]) : SUPPORTED_GROUPS,
    srtpProfiles: options.srtpProfiles ? options.srtpProfiles.map(srtpProfileByName) : SRTP_PROFILES,
    requireExtendedMasterSecret: options.requireExtendedMasterSecret ?? false,
    random: options.random ?? cryptoRandom,
  };
}
