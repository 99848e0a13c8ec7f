/**
 * The server's stateless first step (RFC 6347 §4.2.1): a ClientHello without a valid cookie gets a
 * HelloVerifyRequest built from nothing but the ClientHello and the cookie secret. With the cookie exchange
 * off (behind ICE, whose checks already proved the peer's address), any well-formed ClientHello is accepted.
 */
import {
  ContentType,
  DTLS_1_0,
  HANDSHAKE_HEADER_LENGTH,
  HandshakeType,
  RECORD_HEADER_LENGTH,
} from './constants.js';
import { checkCookie, computeCookie } from './cookie.js';
import { type FragmentHeader, writeFragmentHeader } from './handshake-reassembly.js';
import { type ClientHello, decodeClientHello, encodeHelloVerifyRequest } from './messages.js';
import { writeRecordHeader } from './record.js';

export type ClientHelloVerdict =
  | { readonly kind: 'accept'; readonly hello: ClientHello }
  | { readonly kind: 'verify'; readonly record: Uint8Array }
  | { readonly kind: 'drop' };

export function verifyClientHello(
  /** The cookie key, or undefined to accept without a cookie exchange. */
  secret: Uint8Array | undefined,
  epoch: number,
  recordSeq: number,
  f: FragmentHeader,
  body: Uint8Array,
): ClientHelloVerdict {
  // Only a whole ClientHello in epoch 0 is considered; ours and browsers' fit one datagram.
  if (
    epoch !== 0 ||
    f.type !== HandshakeType.clientHello ||
    f.fragmentOffset !== 0 ||
    f.fragmentLength !== f.length
  ) {
    return { kind: 'drop' };
  }
  let hello: ClientHello;
  try {
    hello = decodeClientHello(body);
  } catch {
    return { kind: 'drop' };
  }
  if (!secret || checkCookie(secret, body, hello.cookie)) return { kind: 'accept', hello };
  const cookie = computeCookie(secret, body);
  if (!cookie) return { kind: 'drop' };
  // DTLS 1.0 in server_version, as RFC 6347 §4.2.1 advises, so no version is negotiated this early.
  const verify = encodeHelloVerifyRequest(DTLS_1_0, cookie);
  const record = new Uint8Array(RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH + verify.byteLength);
  // The HelloVerifyRequest reuses the ClientHello's record number and message_seq (§4.2.1, §4.2.2).
  writeRecordHeader(
    record,
    0,
    ContentType.handshake,
    0,
    recordSeq,
    HANDSHAKE_HEADER_LENGTH + verify.byteLength,
  );
  writeFragmentHeader(
    record,
    RECORD_HEADER_LENGTH,
    HandshakeType.helloVerifyRequest,
    verify.byteLength,
    f.seq,
    0,
    verify.byteLength,
  );
  record.set(verify, RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH);
  return { kind: 'verify', record };
}
