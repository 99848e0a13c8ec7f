import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual } from '../../src/common/bytes.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

describe('DTLS engine handshake on the simulated network', () => {
  it('connects our client and server on a perfect link and exchanges data both ways', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    assert.equal(client.engine.cipherSuite, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    assert.equal(client.engine.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
    assert.ok(client.engine.extendedMasterSecret);
    assert.deepEqual(client.events, [{ type: 'connected' }]);
    assert.deepEqual(server.events, [{ type: 'connected' }]);
    assert.ok(client.engine.send(new TextEncoder().encode('ping')));
    assert.ok(server.engine.send(new TextEncoder().encode('pong')));
    net.runFor(100);
    assert.equal(new TextDecoder().decode(server.received[0]), 'ping');
    assert.equal(new TextDecoder().decode(client.received[0]), 'pong');
    const a = client.engine.srtpKeyingMaterial()!;
    const b = server.engine.srtpKeyingMaterial()!;
    assert.ok(bytesEqual(a.localKey, b.remoteKey) && bytesEqual(a.remoteSalt, b.localSalt));
    assert.ok(!bytesEqual(a.localKey, a.remoteKey));
  });
});
