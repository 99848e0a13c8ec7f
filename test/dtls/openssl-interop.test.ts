/**
 * Interop with OpenSSL 3 (the reference peer): our client against `openssl s_server -dtls1_2` and our
 * server against `openssl s_client -dtls1_2` for every suite and SRTP profile, keying material compared
 * byte for byte, application data both ways, and a fingerprint mismatch that must fail.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RTCCertificate } from '../../src/dtls/certificate.js';
import { CIPHER_SUITES, type CipherSuiteName } from '../../src/dtls/cipher-suites.js';
import type { NamedGroupName } from '../../src/dtls/constants.js';
import { RTCDtlsParameters, RTCDtlsTransport } from '../../src/dtls/index.js';
import {
  SRTP_PROFILES,
  type SrtpProfileName,
  srtpKeyingMaterialLength,
} from '../../src/dtls/srtp-profiles.js';
import { UdpDatagramTransport } from '../../src/net/udp-datagram-transport.js';
import { testCertificates } from './harness.js';
import { freeUdpPort, OPENSSL_CIPHER, OPENSSL_SRTP, OpensslPeer, opensslAvailable } from './openssl.js';

const available = opensslAvailable();
if (!available && process.env.CI) throw new Error('openssl 3 is required in CI for the DTLS interop tests');
const skip = available ? false : 'openssl 3 not found: install openssl to run the DTLS interop matrix';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Case {
  suite: CipherSuiteName;
  srtp: SrtpProfileName;
  group?: NamedGroupName;
  /** Expect a different certificate than the peer has. */
  wrongFingerprint?: boolean;
  /** Extra openssl arguments. */
  extra?: string[];
}

const OPENSSL_GROUP: Record<NamedGroupName, string> = {
  x25519: 'X25519',
  secp256r1: 'P-256',
  secp384r1: 'P-384',
};

function groupPreference(first: NamedGroupName): string {
  return [first, ...(Object.keys(OPENSSL_GROUP) as NamedGroupName[]).filter((g) => g !== first)]
    .map((g) => OPENSSL_GROUP[g])
    .join(':');
}

async function certsFor(
  suite: CipherSuiteName,
): Promise<{ ours: RTCCertificate; theirs: RTCCertificate; other: RTCCertificate }> {
  const c = await testCertificates();
  const rsa = suite.includes('_RSA_');
  return { ours: rsa ? c.rsa : c.ecdsa, theirs: rsa ? c.rsa : c.p384, other: c.ecdsa };
}

function opensslArgs(c: Case): string[] {
  const profile = SRTP_PROFILES.find((p) => p.name === c.srtp)!;
  const args = [
    '-cipher',
    OPENSSL_CIPHER[c.suite]!,
    '-use_srtp',
    OPENSSL_SRTP[c.srtp]!,
    '-keymatexport',
    'EXTRACTOR-dtls_srtp',
    '-keymatexportlen',
    String(srtpKeyingMaterialLength(profile)),
    ...(c.extra ?? []),
  ];
  return args;
}

/** Data both ways, keying material equal to OpenSSL's, then close. */
async function exchange(dtls: RTCDtlsTransport, peer: OpensslPeer, c: Case): Promise<void> {
  assert.equal(dtls.state, 'connected');
  assert.equal(dtls.cipherSuite, c.suite);
  assert.equal(dtls.srtpProfile, c.srtp);
  const theirs = await peer.keyingMaterial();
  const keys = dtls.getSrtpKeyingMaterial()!;
  const ours = Buffer.concat([
    keys.clientWriteKey,
    keys.serverWriteKey,
    keys.clientWriteSalt,
    keys.serverWriteSalt,
  ]);
  assert.equal(ours.toString('hex'), theirs.toString('hex'), 'EXTRACTOR-dtls_srtp output equals OpenSSL');
  const received = new Promise<string>((resolve) => {
    dtls.attach((d) => resolve(Buffer.from(d).toString()));
  });
  const marker = `from-tsrtc-${c.suite}`;
  dtls.send(new TextEncoder().encode(`${marker}\n`));
  await peer.waitFor(new RegExp(marker));
  peer.write('from-openssl\n');
  assert.equal(await received, 'from-openssl\n');
  await dtls.stop();
}

async function ourClient(
  c: Case,
): Promise<{ dtls: RTCDtlsTransport; peer: OpensslPeer; started: Promise<void> }> {
  const { ours, theirs, other } = await certsFor(c.suite);
  const port = await freeUdpPort();
  // In TLS 1.2 the groups also name the curves ECDSA certificates may use (RFC 8422 §5.1), so every
  // group stays offered; the server's preference, led by the group under test, decides.
  const groups = c.group ? ['-groups', groupPreference(c.group), '-serverpref'] : [];
  const peer = new OpensslPeer('s_server', port, theirs, [...opensslArgs(c), ...groups]);
  cleanups.push(() => peer.stop());
  await peer.waitFor(/ACCEPT/);
  const udp = await UdpDatagramTransport.create({
    remote: { address: '127.0.0.1', port },
    role: 'controlled',
  });
  cleanups.push(async () => udp.close());
  const dtls = new RTCDtlsTransport(udp, [ours], {
    cipherSuites: [c.suite],
    srtpProfiles: [c.srtp],
    initialRetransmitMs: 500,
  });
  const expected = (c.wrongFingerprint ? other : theirs).getFingerprints();
  const started = dtls.start(new RTCDtlsParameters(expected, 'server'));
  return { dtls, peer, started };
}

async function ourServer(
  c: Case,
): Promise<{ dtls: RTCDtlsTransport; peer: OpensslPeer; started: Promise<void> }> {
  const { ours, theirs, other } = await certsFor(c.suite);
  const udp = await UdpDatagramTransport.create({ role: 'controlling' });
  cleanups.push(async () => udp.close());
  const dtls = new RTCDtlsTransport(udp, [ours], {
    srtpProfiles: [c.srtp],
    groups: c.group
      ? [c.group, ...(['x25519', 'secp256r1', 'secp384r1'] as const).filter((g) => g !== c.group)]
      : undefined,
  });
  const expected = (c.wrongFingerprint ? other : theirs).getFingerprints();
  const started = dtls.start(new RTCDtlsParameters(expected, 'client'));
  const peer = new OpensslPeer('s_client', udp.localPort, theirs, opensslArgs(c));
  cleanups.push(() => peer.stop());
  return { dtls, peer, started };
}

/** Every suite once per role; the SRTP profiles rotate so each meets each role several times. */
const matrix: Case[] = CIPHER_SUITES.map((s, i) => ({
  suite: s.name,
  srtp: SRTP_PROFILES[i % SRTP_PROFILES.length]!.name,
}));

describe('DTLS interop with OpenSSL', { skip, timeout: 600_000 }, () => {
  for (const c of matrix) {
    it(`our client ↔ s_server: ${c.suite} / ${c.srtp}`, async () => {
      const { dtls, peer, started } = await ourClient(c);
      await started;
      await exchange(dtls, peer, c);
      await peer.stop();
    });
    it(`our server ↔ s_client: ${c.suite} / ${c.srtp}`, async () => {
      const { dtls, peer, started } = await ourServer(c);
      await started;
      await exchange(dtls, peer, c);
      await peer.stop();
    });
  }

  for (const srtp of SRTP_PROFILES) {
    for (const role of ['client', 'server'] as const) {
      it(`SRTP profile ${srtp.name} as ${role}, keying material byte for byte`, async () => {
        const c: Case = { suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', srtp: srtp.name };
        const { dtls, peer, started } = role === 'client' ? await ourClient(c) : await ourServer(c);
        await started;
        await exchange(dtls, peer, c);
        await peer.stop();
      });
    }
  }

  for (const group of ['x25519', 'secp256r1', 'secp384r1'] as NamedGroupName[]) {
    for (const role of ['client', 'server'] as const) {
      it(`ECDHE over ${group} with OpenSSL choosing (${role})`, async () => {
        const c: Case = {
          suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
          srtp: 'SRTP_AES128_CM_HMAC_SHA1_80',
          group,
        };
        const { dtls, peer, started } = role === 'client' ? await ourClient(c) : await ourServer(c);
        await started;
        assert.equal(dtls.keyExchangeGroup, group);
        await exchange(dtls, peer, c);
        await peer.stop();
      });
    }
  }

  for (const role of ['client', 'server'] as const) {
    it(`RSA PKCS#1 v1.5 signatures both ways when OpenSSL allows nothing else (${role})`, async () => {
      // -sigalgs limits OpenSSL's own signatures and what it offers; -client_sigalgs what it requests.
      const c: Case = {
        suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
        srtp: 'SRTP_AES128_CM_HMAC_SHA1_80',
        extra: ['-sigalgs', 'RSA+SHA256', ...(role === 'client' ? ['-client_sigalgs', 'RSA+SHA256'] : [])],
      };
      const { dtls, peer, started } = role === 'client' ? await ourClient(c) : await ourServer(c);
      await started;
      await exchange(dtls, peer, c);
      // OpenSSL names what we signed with: PKCS#1 v1.5 is "RSA" (PSS would be "RSA-PSS").
      await peer.waitFor(/Peer signature type: RSA\r?\n/);
      await peer.stop();
    });
  }

  it('our client refuses an OpenSSL server with the wrong certificate (bad_certificate sent)', async () => {
    const c: Case = {
      suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      srtp: 'SRTP_AES128_CM_HMAC_SHA1_80',
      wrongFingerprint: true,
    };
    const { dtls, peer, started } = await ourClient(c);
    await assert.rejects(
      started,
      (e: Error & { errorDetail?: string }) => e.errorDetail === 'fingerprint-failure',
    );
    assert.equal(dtls.state, 'failed');
    await peer.waitFor(/bad certificate/i);
    await peer.stop();
  });

  it('our server refuses an OpenSSL client with the wrong certificate (bad_certificate sent)', async () => {
    const c: Case = {
      suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      srtp: 'SRTP_AES128_CM_HMAC_SHA1_80',
      wrongFingerprint: true,
    };
    const { dtls, peer, started } = await ourServer(c);
    await assert.rejects(
      started,
      (e: Error & { errorDetail?: string }) => e.errorDetail === 'fingerprint-failure',
    );
    assert.equal(dtls.state, 'failed');
    await peer.waitFor(/bad certificate/i);
    await peer.stop();
  });
});
