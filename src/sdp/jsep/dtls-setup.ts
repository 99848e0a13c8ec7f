/** DTLS roles through `a=setup` (RFC 5763 §5, RFC 8842 §5.3). */
import type { SetupRole } from '../types.js';

export type DtlsRole = 'client' | 'server';

/**
 * The answerer's `setup` for an offered one. An `actpass` offer leaves the choice to us: `active` (the
 * answerer is the DTLS client, as browsers choose) unless `preferred` says otherwise. An absent attribute
 * means `active` (RFC 4145 §4), so we answer `passive`. Undefined for `holdconn`: no connection wanted.
 */
export function answerSetupRole(
  offered: SetupRole | undefined,
  preferred: 'active' | 'passive' = 'active',
): 'active' | 'passive' | undefined {
  switch (offered) {
    case 'actpass':
      return preferred;
    case 'active':
    case undefined:
      return 'passive';
    case 'passive':
      return 'active';
    case 'holdconn':
      return undefined;
  }
}

/** Our DTLS role from our negotiated `setup`: active is the client. Undefined for actpass/holdconn. */
export function dtlsRoleOf(setup: SetupRole | undefined): DtlsRole | undefined {
  if (setup === 'active') return 'client';
  if (setup === 'passive') return 'server';
  return undefined;
}

/**
 * Our DTLS role once the answer is known. As offerer (`actpass`), our role is the opposite of the answer's
 * setup; as answerer, it is our own answer's setup.
 */
export function negotiatedDtlsRole(
  weAreOfferer: boolean,
  answerSetup: SetupRole | undefined,
): DtlsRole | undefined {
  const answerer = dtlsRoleOf(answerSetup ?? 'active');
  if (answerer === undefined) return undefined;
  if (!weAreOfferer) return answerer;
  return answerer === 'client' ? 'server' : 'client';
}
