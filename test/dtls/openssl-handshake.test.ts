/**
 * Handshake timing against OpenSSL 3 (`openssl s_client` / `s_server -dtls1_2`), engine statistics in
 * view: a handshake with a cookie exchange completes at once, with no flight resent. OpenSSL keeps a
 * replay window in epoch 0, so a server record that repeats a number is dropped and costs a 1 s timeout.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DtlsEngineOptions } from '../../src/dtls/engine.js';
import { matchesFingerprint } from '../../src/dtls/fingerprint.js';
import { testCertificates } from './harness.js';
import { freeUdpPort, OpensslPeer, opensslAvailable } from './openssl.js';
import { UdpEngine } from './udp-engine.js';

const available = opensslAvailable();
if (!available && process.env.CI) throw new Error('openssl 3 is required in CI for the DTLS interop tests');
const skip = available ? false : 'openssl 3 not found: install openssl to run the DTLS handshake tests';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Far below the 1 s an OpenSSL retransmission would add; a loaded 2-core machine stays well inside. */
const FAST_MS = 400;

async function ourServer(
  options: Partial<DtlsEngineOptions> = {},
): Promise<{ server: UdpEngine; peer: OpensslPeer }> {
  const { ecdsa, p384 } = await testCertificates();
  const expected = p384.getFingerprints();
  const server = await UdpEngine.create({
    role: 'server',
    credential: ecdsa,
    verifyPeer: (chain) => matchesFingerprint(chain[0]!, expected),
    ...options,
  });
  cleanups.push(() => server.close());
  server.start();
  const peer = new OpensslPeer('s_client', server.localPort, p384, []);
  cleanups.push(() => peer.stop());
  return { server, peer };
}

describe('DTLS handshake timing against OpenSSL', { skip, timeout: 120_000 }, () => {
  it('our server with a cookie exchange: s_client connects without any retransmission', async (t) => {
    const { server, peer } = await ourServer();
    const event = await server.settled();
    assert.deepEqual(event, { type: 'connected' });
    const ms = server.settledAt! - server.firstReceivedAt!;
    t.diagnostic(`handshake with cookie exchange: ${ms.toFixed(1)} ms`);
    assert.equal(server.engine.stats.helloVerifyRequestsSent, 1);
    assert.equal(server.engine.stats.retransmissions, 0, 'OpenSSL resent nothing');
    assert.ok(ms < FAST_MS, `handshake took ${ms.toFixed(1)} ms`);
    await peer.waitFor(/Cipher is ECDHE-ECDSA/);
    await peer.stop();
  });

  it('our server without the cookie exchange: s_client connects one round trip sooner', async (t) => {
    const { server, peer } = await ourServer({ cookieExchange: false });
    assert.deepEqual(await server.settled(), { type: 'connected' });
    t.diagnostic(
      `handshake without cookie exchange: ${(server.settledAt! - server.firstReceivedAt!).toFixed(1)} ms`,
    );
    assert.equal(server.engine.stats.helloVerifyRequestsSent, 0);
    assert.equal(server.engine.stats.retransmissions, 0);
    await peer.waitFor(/Cipher is ECDHE-ECDSA/);
    await peer.stop();
  });

  it('our client against s_server: no retransmission either', async (t) => {
    const { ecdsa, p384 } = await testCertificates();
    const port = await freeUdpPort();
    const peer = new OpensslPeer('s_server', port, p384, []);
    cleanups.push(() => peer.stop());
    await peer.waitFor(/ACCEPT/);
    const expected = p384.getFingerprints();
    const client = await UdpEngine.create(
      { role: 'client', credential: ecdsa, verifyPeer: (chain) => matchesFingerprint(chain[0]!, expected) },
      port,
    );
    cleanups.push(() => client.close());
    const t0 = performance.now();
    client.start();
    assert.deepEqual(await client.settled(), { type: 'connected' });
    const ms = client.settledAt! - t0;
    t.diagnostic(`handshake: ${ms.toFixed(1)} ms`);
    assert.equal(client.engine.stats.retransmissions, 0);
    assert.ok(ms < FAST_MS, `handshake took ${ms.toFixed(1)} ms`);
    await peer.stop();
  });
});
