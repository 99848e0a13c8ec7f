/** Builds the TURN requests the client sends (RFC 8656 §7.1, §7.2, §9.1, §12.1), with long-term credentials. */

import type { TransportAddress } from '../../common/engine.js';
import { type RandomSource, randomBytes } from '../../common/random.js';
import { StunAttr, StunMethod, TRANSPORT_UDP } from '../../stun/constants.js';
import { longTermKey } from '../../stun/integrity.js';
import { StunMessage } from '../../stun/message.js';

export type RequestPurpose =
  | { readonly kind: 'allocate'; readonly lifetime: number; readonly family?: 4 | 6 }
  | { readonly kind: 'refresh'; readonly lifetime: number }
  | { readonly kind: 'permission'; readonly ip: string }
  | { readonly kind: 'channel'; readonly number: number; readonly peer: TransportAddress };

export interface Credentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  /** MD5(username:realm:password), RFC 8489 §9.2.2. */
  readonly key: Uint8Array;
}

/** A fresh request (new transaction id) for `purpose`; the caller serializes it with the integrity key. */
export function buildRequest(
  purpose: RequestPurpose,
  credentials: Credentials | undefined,
  software: string | undefined,
  random: RandomSource,
): StunMessage {
  const id = randomBytes(12, random);
  let msg: StunMessage;
  switch (purpose.kind) {
    case 'allocate':
      msg = new StunMessage(StunMethod.Allocate, 'request', id)
        .setRequestedTransport(TRANSPORT_UDP)
        .setLifetime(purpose.lifetime);
      // REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.11): 0x01 IPv4, 0x02 IPv6, then 3 reserved bytes.
      if (purpose.family !== undefined) {
        msg.add(StunAttr.RequestedAddressFamily, new Uint8Array([purpose.family === 6 ? 2 : 1, 0, 0, 0]));
      }
      break;
    case 'refresh':
      msg = new StunMessage(StunMethod.Refresh, 'request', id).setLifetime(purpose.lifetime);
      break;
    case 'permission':
      // The port is ignored by the server: permissions are per IP address (§9).
      msg = new StunMessage(StunMethod.CreatePermission, 'request', id).setXorPeerAddress({
        address: purpose.ip,
        port: 0,
      });
      break;
    case 'channel':
      msg = new StunMessage(StunMethod.ChannelBind, 'request', id)
        .setChannelNumber(purpose.number)
        .setXorPeerAddress(purpose.peer);
      break;
  }
  if (software !== undefined) msg.setSoftware(software);
  if (credentials) {
    msg.setUsername(credentials.username).setRealm(credentials.realm).setNonce(credentials.nonce);
  }
  return msg;
}

/** Credentials for a new realm/nonce; the MD5 key is reused while the realm stays the same. */
export function nextCredentials(
  previous: Credentials | undefined,
  username: string,
  password: string,
  realm: string,
  nonce: string,
): Credentials {
  const key = previous?.realm === realm ? previous.key : longTermKey(username, realm, password);
  return { username, realm, nonce, key };
}
