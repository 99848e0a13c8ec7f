/**
 * The STUN side of connectivity checks: building Binding requests (RFC 8445 §7.1.1), judging incoming ones
 * (short-term credentials, RFC 8489 §9.1.3; unknown attributes, §6.3.1) and building the responses.
 */
import type { TransportAddress } from '../common/engine.js';
import { StunAttr, StunErrorCode, StunMethod } from '../stun/constants.js';
import { shortTermKey } from '../stun/integrity.js';
import { StunMessage } from '../stun/message.js';
import type { IceRole } from './types.js';

/** A set of credentials with its HMAC key computed once. */
export interface Credentials {
  readonly usernameFragment: string;
  readonly password: string;
  readonly key: Uint8Array;
}

export function credentials(usernameFragment: string, password: string): Credentials {
  return { usernameFragment, password, key: shortTermKey(password) };
}

export interface CheckRequest {
  readonly message: StunMessage;
  readonly bytes: Uint8Array;
}

export function buildCheck(options: {
  local: Credentials;
  remote: Credentials;
  priority: number;
  role: IceRole;
  tieBreaker: bigint;
  useCandidate: boolean;
  transactionId?: Uint8Array;
}): CheckRequest {
  const m = new StunMessage(StunMethod.Binding, 'request', options.transactionId);
  m.setUsername(`${options.remote.usernameFragment}:${options.local.usernameFragment}`);
  m.setPriority(options.priority);
  if (options.role === 'controlling') m.setIceControlling(options.tieBreaker);
  else m.setIceControlled(options.tieBreaker);
  if (options.useCandidate) m.setUseCandidate();
  return { message: m, bytes: m.serialize({ integrityKey: options.remote.key, fingerprint: true }) };
}

export type RequestVerdict =
  | {
      readonly ok: true;
      readonly credentials: Credentials;
      readonly priority: number;
      readonly useCandidate: boolean;
      readonly controlling: bigint | undefined;
      readonly controlled: bigint | undefined;
    }
  | {
      readonly ok: false;
      readonly code: 400 | 401 | 420;
      readonly reason: string;
      readonly unknown?: number[];
      /** Set when the request authenticated, so the error response carries MESSAGE-INTEGRITY. */
      readonly credentials?: Credentials;
    };

/** Judge a Binding request against the local credentials that are currently acceptable. */
export function judgeRequest(request: StunMessage, accepted: readonly Credentials[]): RequestVerdict {
  const hasIntegrity = request.has(StunAttr.MessageIntegrity);
  const username = request.username;
  if (username === undefined || !hasIntegrity)
    return { ok: false, code: 400, reason: 'USERNAME and MESSAGE-INTEGRITY are required' };
  const colon = username.indexOf(':');
  const ufrag = colon < 0 ? username : username.slice(0, colon);
  const creds = accepted.find((c) => c.usernameFragment === ufrag);
  if (!creds) return { ok: false, code: 401, reason: 'unknown username' };
  if (!request.verifyIntegrity(creds.key)) return { ok: false, code: 401, reason: 'bad MESSAGE-INTEGRITY' };
  const unknown = request.unknownComprehensionRequired();
  if (unknown.length > 0)
    return { ok: false, code: 420, reason: 'unknown attributes', unknown, credentials: creds };
  try {
    const priority = request.priority;
    if (priority === undefined)
      return { ok: false, code: 400, reason: 'PRIORITY is required', credentials: creds };
    return {
      ok: true,
      credentials: creds,
      priority,
      useCandidate: request.useCandidate,
      controlling: request.iceControlling,
      controlled: request.iceControlled,
    };
  } catch {
    return { ok: false, code: 400, reason: 'malformed ICE attribute', credentials: creds };
  }
}

export function successResponse(request: StunMessage, source: TransportAddress, key: Uint8Array): Uint8Array {
  return request
    .createResponse('success')
    .setXorMappedAddress(source)
    .serialize({ integrityKey: key, fingerprint: true });
}

export function errorResponse(
  request: StunMessage,
  code: number,
  options: { unknown?: readonly number[]; key?: Uint8Array } = {},
): Uint8Array {
  const m = request.createResponse('error').setErrorCode(code);
  if (code === StunErrorCode.UnknownAttribute && options.unknown) m.setUnknownAttributes(options.unknown);
  return m.serialize({ fingerprint: true, ...(options.key ? { integrityKey: options.key } : {}) });
}

/** The PRIORITY a check carries: what a peer-reflexive candidate from this base would have (§7.1.1). */
export function prflxPriority(localPriority: number): number {
  const localPreference = Math.floor(localPriority / 256) & 0xffff;
  const component = 256 - (localPriority & 0xff);
  return 110 * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}
