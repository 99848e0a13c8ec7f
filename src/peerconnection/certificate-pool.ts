/**
 * Each RTCPeerConnection gets its own certificate, but generating one (~10 ms) sat on the setup path. A couple
 * of certificates are generated ahead: a new connection takes one at once and a replacement is made in the
 * background (two, because applications often create connections in pairs). A certificate that waited more
 * than a day is dropped, so none expires much earlier than a fresh one would.
 */
import { RTCCertificate } from '../dtls/certificate.js';

const MAX_AGE_MS = 24 * 3600 * 1000;
const AHEAD = 2;

interface Pending {
  readonly certificate: Promise<RTCCertificate>;
  readonly createdAt: number;
}

const ready: Pending[] = [];

function generate(): Pending {
  const certificate = RTCCertificate.generateCertificate();
  certificate.catch(() => undefined);
  return { certificate, createdAt: Date.now() };
}

/** A fresh certificate for a new connection, never handed out twice. */
export function takeCertificate(): Promise<RTCCertificate> {
  const now = Date.now();
  // Too old ones are dropped.
  let taken = ready.shift();
  while (taken && now - taken.createdAt >= MAX_AGE_MS) taken = ready.shift();
  taken ??= generate();
  while (ready.length < AHEAD) ready.push(generate());
  return taken.certificate;
}
