/**
 * An SRTP session: an outbound context keyed with the local master key and an inbound one keyed with the
 * remote master key, as DTLS-SRTP (RFC 5764) yields them.
 */
import { SrtpContext, type SrtpStats } from './context.js';
import { type SrtpKeys, type SrtpProfile, type SrtpProfileName, srtpProfile } from './profiles.js';

export interface SrtpSessionOptions extends SrtpKeys {
  /** Name (`AES_CM_128_HMAC_SHA1_80` or `SRTP_AES128_CM_HMAC_SHA1_80` style) or DTLS-SRTP id. */
  profile: SrtpProfileName | string | number | SrtpProfile;
  replayWindowSize?: number;
  maxStreams?: number;
  gcmJsMaxLength?: number;
}

export class SrtpSession {
  readonly profile: SrtpProfile;
  readonly outbound: SrtpContext;
  readonly inbound: SrtpContext;

  constructor(options: SrtpSessionOptions) {
    this.profile = srtpProfile(options.profile);
    const common = {
      profile: this.profile,
      replayWindowSize: options.replayWindowSize,
      maxStreams: options.maxStreams,
      gcmJsMaxLength: options.gcmJsMaxLength,
    };
    this.outbound = new SrtpContext({
      ...common,
      direction: 'outbound',
      masterKey: options.localMasterKey,
      masterSalt: options.localMasterSalt,
    });
    this.inbound = new SrtpContext({
      ...common,
      masterKey: options.remoteMasterKey,
      masterSalt: options.remoteMasterSalt,
    });
  }

  /**
   * From what a DTLS-SRTP handshake exports: the negotiated profile (its id) and this side's local and remote
   * master keys and salts.
   */
  static fromDtls(
    keys: {
      profile: { id: number };
      localKey: Uint8Array;
      localSalt: Uint8Array;
      remoteKey: Uint8Array;
      remoteSalt: Uint8Array;
    },
    options: { replayWindowSize?: number; maxStreams?: number } = {},
  ): SrtpSession {
    return new SrtpSession({
      profile: keys.profile.id,
      localMasterKey: keys.localKey,
      localMasterSalt: keys.localSalt,
      remoteMasterKey: keys.remoteKey,
      remoteMasterSalt: keys.remoteSalt,
      ...options,
    });
  }

  protectRtp(packet: Uint8Array): Uint8Array {
    return this.outbound.protectRtp(packet);
  }
  /** Decrypts in place; returns a view, or undefined when dropped (see `inbound.stats`). */
  unprotectRtp(packet: Uint8Array): Uint8Array | undefined {
    return this.inbound.unprotectRtp(packet);
  }
  protectRtcp(packet: Uint8Array): Uint8Array {
    return this.outbound.protectRtcp(packet);
  }
  unprotectRtcp(packet: Uint8Array): Uint8Array | undefined {
    return this.inbound.unprotectRtcp(packet);
  }

  /** Receive-side drop counters (auth failures, replays, malformed). */
  get stats(): Readonly<SrtpStats> {
    return this.inbound.stats;
  }
}
