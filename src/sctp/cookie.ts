/**
 * The state cookie (RFC 9260 §5.1.3): everything the listener needs to build the association, sent to
 * the initiator in INIT-ACK and echoed back, so no state exists before the initiator proves reachability.
 * Integrity and freshness: HMAC-SHA256 over the contents with a per-association secret, and a timestamp.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ByteReader, ByteWriter } from '../common/bytes.js';

export interface CookieContents {
  /** Time the cookie was made, on the engine's clock. */
  createdAt: number;
  localTag: number;
  peerTag: number;
  localInitialTsn: number;
  peerInitialTsn: number;
  peerWindow: number;
  /** Streams the peer may send on / we may send on, after negotiation. */
  inboundStreams: number;
  outboundStreams: number;
  peerForwardTsn: boolean;
  peerReconfig: boolean;
  peerInterleaving: boolean;
  peerZeroChecksum: boolean;
}

const BODY_SIZE = 8 + 4 * 5 + 2 * 2 + 1;
const MAC_SIZE = 32;
export const COOKIE_SIZE = BODY_SIZE + MAC_SIZE;

function mac(secret: Uint8Array, body: Uint8Array): Uint8Array {
  const h = createHmac('sha256', secret).update(body).digest();
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

export function makeCookie(secret: Uint8Array, c: CookieContents): Uint8Array {
  const w = new ByteWriter(COOKIE_SIZE);
  w.u64(BigInt.asUintN(64, BigInt(Math.floor(c.createdAt))));
  w.u32(c.localTag).u32(c.peerTag).u32(c.localInitialTsn).u32(c.peerInitialTsn).u32(c.peerWindow);
  w.u16(c.inboundStreams).u16(c.outboundStreams);
  w.u8(
    (c.peerForwardTsn ? 1 : 0) |
      (c.peerReconfig ? 2 : 0) |
      (c.peerInterleaving ? 4 : 0) |
      (c.peerZeroChecksum ? 8 : 0),
  );
  w.bytes(mac(secret, w.finish()));
  return w.finish().slice();
}

export type CookieCheck = { ok: true; contents: CookieContents } | { ok: false; reason: 'bad-mac' | 'stale' };

export function openCookie(
  secret: Uint8Array,
  cookie: Uint8Array,
  now: number,
  lifetime: number,
): CookieCheck {
  if (cookie.byteLength !== COOKIE_SIZE) return { ok: false, reason: 'bad-mac' };
  const body = cookie.subarray(0, BODY_SIZE);
  if (!timingSafeEqual(mac(secret, body), cookie.subarray(BODY_SIZE)))
    return { ok: false, reason: 'bad-mac' };
  const r = new ByteReader(body);
  const createdAt = Number(BigInt.asIntN(64, r.u64()));
  const contents: CookieContents = {
    createdAt,
    localTag: r.u32(),
    peerTag: r.u32(),
    localInitialTsn: r.u32(),
    peerInitialTsn: r.u32(),
    peerWindow: r.u32(),
    inboundStreams: r.u16(),
    outboundStreams: r.u16(),
    peerForwardTsn: false,
    peerReconfig: false,
    peerInterleaving: false,
    peerZeroChecksum: false,
  };
  const flags = r.u8();
  contents.peerForwardTsn = (flags & 1) !== 0;
  contents.peerReconfig = (flags & 2) !== 0;
  contents.peerInterleaving = (flags & 4) !== 0;
  contents.peerZeroChecksum = (flags & 8) !== 0;
  if (now - createdAt > lifetime) return { ok: false, reason: 'stale' };
  return { ok: true, contents };
}
