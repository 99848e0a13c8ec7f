import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIceServer, parseIceServers, parseIceServerUrl } from '../../src/ice/ice-server.js';

function domName(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof DOMException ? err.name : (err as Error).name;
  }
  return 'no error';
}

describe('RTCIceServer URLs (W3C "validate an ICE server")', () => {
  it('parses the four schemes with default ports and transports', () => {
    assert.deepEqual(
      (['stun:127.0.0.1', 'stuns:127.0.0.1', 'turn:127.0.0.1', 'turns:127.0.0.1'] as const).map((u) => {
        const p = parseIceServerUrl(u);
        return [p.scheme, p.kind, p.port, p.transport];
      }),
      [
        ['stun', 'stun', 3478, 'udp'],
        ['stuns', 'stun', 5349, 'tls'],
        ['turn', 'turn', 3478, 'udp'],
        ['turns', 'turn', 5349, 'tls'],
      ],
    );
  });

  it('reads ports, ?transport= and IPv6 literals in brackets', () => {
    assert.deepEqual(parseIceServerUrl('turn:127.0.0.1:19302?transport=tcp'), {
      url: 'turn:127.0.0.1:19302?transport=tcp',
      scheme: 'turn',
      kind: 'turn',
      host: '127.0.0.1',
      port: 19302,
      transport: 'tcp',
    });
    const v6 = parseIceServerUrl('turn:[::1]:3479?transport=udp');
    assert.equal(v6.host, '::1');
    assert.equal(v6.port, 3479);
    assert.equal(parseIceServerUrl('turns:[::1]').port, 5349);
    assert.equal(parseIceServerUrl('turns:turn.test:443?transport=tcp').port, 443, 'port 443 is kept');
    assert.equal(parseIceServerUrl('turns:turn.test:443?transport=tcp').transport, 'tls');
    assert.equal(parseIceServerUrl('stun:Stun.Example.TEST').host, 'stun.example.test');
  });

  it('throws SyntaxError for malformed URLs, naming the problem', () => {
    const bad = [
      'http://127.0.0.1',
      'turn://127.0.0.1:3478',
      'turn:',
      'turn:host:port',
      'turn:host:70000',
      'turn:user@host',
      'turn:host/path',
      'turn:host#frag',
      'turn:host?transport=sctp',
      'turn:host?foo=bar',
      'stun:host?transport=udp',
      'stun:[::1',
      'not a url',
    ];
    for (const u of bad)
      assert.equal(
        domName(() => parseIceServerUrl(u)),
        'SyntaxError',
        u,
      );
    assert.throws(() => parseIceServerUrl('stun:host?transport=udp'), /must not have a query/);
  });

  it('follows the URL parser on host and port syntax (cases from the web-platform-tests)', () => {
    const valid = [
      'stun:example\t.\norg',
      'stun:ex%61mple.net',
      'stun:[2001::1]',
      'stun:example.net:',
      'stun:example.net:0000000000000000',
      'stun:example.net:65535',
      '\u0000\u001b stun:example.com\u001f \r ',
      'stun:faß.ExAmPlE',
      'stun:h\to\ns\rt:9\t0\n0\r0',
      'stun:192.168.257',
      'stun:0xffffffff',
    ];
    for (const u of valid) assert.doesNotThrow(() => parseIceServerUrl(u), JSON.stringify(u));
    assert.equal(parseIceServerUrl('stun:h\to\ns\rt:9\t0\n0\r0').port, 9000);
    assert.equal(parseIceServerUrl('stun:192.168.257').host, '192.168.1.1');
    const invalid = [
      'stun:example.net:65536',
      'stun:example.net:b',
      'stun:example.net:-21',
      'stun:[61:24:74]:98',
      'stun:192.168.0.257',
      'stun:x x:12',
      'stun:[example.net]',
      'stun:a<b',
      'stun:a^b',
      'stun:ho%00st',
      'stun:10000000000',
      'stun:256.256.256.256',
    ];
    for (const u of invalid)
      assert.equal(
        domName(() => parseIceServerUrl(u)),
        'SyntaxError',
        JSON.stringify(u),
      );
  });

  it('rejects a TURN username over 509 bytes with InvalidAccessError', () => {
    const server = { urls: 'turn:127.0.0.1', credential: 'p' };
    assert.equal(parseIceServer({ ...server, username: 'a'.repeat(509) }).length, 1);
    assert.equal(
      domName(() => parseIceServer({ ...server, username: 'a'.repeat(510) })),
      'InvalidAccessError',
    );
  });

  it('rejects turns: over UDP (DTLS) as not supported', () => {
    assert.equal(
      domName(() => parseIceServerUrl('turns:host?transport=udp')),
      'NotSupportedError',
    );
  });

  it('needs username and credential on TURN servers: InvalidAccessError', () => {
    assert.equal(
      domName(() => parseIceServer({ urls: 'turn:127.0.0.1' })),
      'InvalidAccessError',
    );
    assert.equal(
      domName(() => parseIceServer({ urls: ['stun:127.0.0.1', 'turn:127.0.0.1'], username: 'u' })),
      'InvalidAccessError',
    );
    assert.throws(() => parseIceServer({ urls: 'turns:127.0.0.1' }), /needs both username and credential/);
    // STUN servers need none.
    assert.equal(parseIceServer({ urls: 'stun:127.0.0.1' }).length, 1);
  });

  it('accepts a string or a list, rejects an empty list, and keeps order across servers', () => {
    const all = parseIceServers([
      { urls: 'stun:127.0.0.1:3478' },
      { urls: ['turn:127.0.0.1?transport=udp', 'turns:127.0.0.1:5350'], username: 'u', credential: 'p' },
    ]);
    assert.deepEqual(
      all.map((s) => [s.url, s.username, s.credential]),
      [
        ['stun:127.0.0.1:3478', undefined, undefined],
        ['turn:127.0.0.1?transport=udp', 'u', 'p'],
        ['turns:127.0.0.1:5350', 'u', 'p'],
      ],
    );
    assert.equal(
      domName(() => parseIceServer({ urls: [] })),
      'SyntaxError',
    );
    assert.deepEqual(parseIceServers(undefined), []);
    assert.throws(
      () =>
        parseIceServer({
          urls: 'turn:h',
          username: 'u',
          credential: 'p',
          credentialType: 'oauth' as 'password',
        }),
      TypeError,
    );
  });
});
