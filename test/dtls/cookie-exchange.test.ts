/**
 * The `cookieExchange` option: a server behind ICE may skip the HelloVerifyRequest (ICE already proved the
 * client's address), which saves one round trip; a resent cookie-less ClientHello is then a retransmission
 * of the same handshake, answered with the same flight.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual } from '../../src/common/bytes.js';
import { HandshakeType } from '../../src/dtls/constants.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

const CLIENT = '203.0.113.101';

/** Connect on a 50 ms link; count flights as runs of datagrams from one side. */
async function handshake(cookieExchange: boolean | undefined) {
  const { ecdsa } = await testCertificates();
  const { net, client, server } = enginePair({
    clientCert: ecdsa,
    serverCert: ecdsa,
    conditions: { delay: 50 },
    server: cookieExchange === undefined ? {} : { cookieExchange },
  });
  const senders: string[] = [];
  net.tap = (d) => {
    senders.push(d.source.address);
    return true;
  };
  let clientConnectedAt = -1;
  assert.ok(
    net.runUntil(() => {
      if (clientConnectedAt < 0 && client.engine.state === 'connected') clientConnectedAt = net.now;
      return bothConnected(client, server);
    }, 10_000),
    'the pair connects',
  );
  const flights = senders.filter((s, i) => i === 0 || s !== senders[i - 1]).length;
  return { flights, clientConnectedAt, client, server };
}

describe('DTLS without the cookie exchange', () => {
  it('connects one round trip sooner: four flights instead of six', async () => {
    const withCookie = await handshake(undefined);
    const without = await handshake(false);
    assert.equal(withCookie.flights, 6, 'ClientHello, HelloVerifyRequest, ClientHello, 4, 5, 6');
    assert.equal(without.flights, 4, 'ClientHello, 4, 5, 6');
    assert.equal(withCookie.server.engine.stats.helloVerifyRequestsSent, 1);
    assert.equal(without.server.engine.stats.helloVerifyRequestsSent, 0);
    assert.equal(
      withCookie.clientConnectedAt - without.clientConnectedAt,
      100,
      'one 100 ms round trip saved',
    );
  });

  it('a resent cookie-less ClientHello gets the same flight again, not a new handshake', async () => {
    const { ecdsa } = await testCertificates();
    // The server's own timer is slow, so only the client's resent ClientHello can bring flight 4 back.
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      server: { cookieExchange: false, initialRetransmitMs: 5000 },
    });
    const hellos: Uint8Array[] = [];
    const serverHellos: Uint8Array[] = [];
    net.tap = (d) => {
      const type = d.data[0] === 22 && d.data[4] === 0 ? d.data[13] : undefined;
      if (d.source.address === CLIENT) {
        if (type === HandshakeType.clientHello) hellos.push(d.data.slice(25));
        return true;
      }
      if (type === HandshakeType.serverHello) serverHellos.push(d.data.slice(25, 25 + 70));
      // The whole first server flight is lost.
      return hellos.length > 1;
    };
    assert.ok(
      net.runUntil(() => bothConnected(client, server), 10_000),
      'the pair connects',
    );
    assert.ok(net.now < 5000, 'before the server timer fired');
    assert.equal(hellos.length, 2, 'the client resent its ClientHello once');
    assert.ok(bytesEqual(hellos[0]!, hellos[1]!), 'unchanged: no cookie to add');
    assert.equal(serverHellos.length, 2);
    assert.ok(bytesEqual(serverHellos[0]!, serverHellos[1]!), 'the same ServerHello (same random) again');
    assert.equal(server.engine.stats.helloVerifyRequestsSent, 0);
    assert.equal(server.engine.stats.retransmissions, 1, 'answered the resent ClientHello');
  });
});
