/**
 * Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): an HMAC, under a per-engine secret, of the
 * ClientHello minus its cookie field. A server answers an unauthenticated ClientHello without keeping
 * anything; only a client that echoes a valid cookie makes it allocate handshake state.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const COOKIE_LENGTH = 32;

/** Offsets of the cookie field in a ClientHello body, or undefined when the body is too short. */
function cookieSpan(body: Uint8Array): { start: number; end: number } | undefined {
  const sessionIdAt = 2 + 32;
  if (body.byteLength <= sessionIdAt) return undefined;
  const cookieAt = sessionIdAt + 1 + body[sessionIdAt]!;
  if (body.byteLength <= cookieAt) return undefined;
  const end = cookieAt + 1 + body[cookieAt]!;
  if (body.byteLength < end) return undefined;
  return { start: cookieAt, end };
}

export function computeCookie(secret: Uint8Array, clientHelloBody: Uint8Array): Uint8Array | undefined {
  const span = cookieSpan(clientHelloBody);
  if (!span) return undefined;
  return createHmac('sha256', secret)
    .update(clientHelloBody.subarray(0, span.start))
    .update(clientHelloBody.subarray(span.end))
    .digest();
}

export function checkCookie(secret: Uint8Array, clientHelloBody: Uint8Array, cookie: Uint8Array): boolean {
  if (cookie.byteLength !== COOKIE_LENGTH) return false;
  const expected = computeCookie(secret, clientHelloBody);
  return expected !== undefined && timingSafeEqual(expected, cookie);
}
