import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCandidate, RTCIceCandidate } from '../../src/ice/candidate.js';
import { candidateFoundation, candidatePriority, pairPriority } from '../../src/ice/priority.js';
import { Prng } from '../sim/network.js';

const CHROME_HOST =
  'candidate:842163049 1 udp 1677729535 192.0.2.7 46154 typ srflx raddr 203.0.113.105 rport 46154 generation 0 ufrag EsAw network-cost 999';

describe('RTCIceCandidate', () => {
  it('parses a browser candidate line into the W3C fields', () => {
    const c = new RTCIceCandidate({ candidate: CHROME_HOST, sdpMid: '0', sdpMLineIndex: 0 });
    assert.equal(c.foundation, '842163049');
    assert.equal(c.component, 'rtp');
    assert.equal(c.componentId, 1);
    assert.equal(c.protocol, 'udp');
    assert.equal(c.priority, 1677729535);
    assert.equal(c.address, '192.0.2.7');
    assert.equal(c.ip, '192.0.2.7');
    assert.equal(c.port, 46154);
    assert.equal(c.type, 'srflx');
    assert.equal(c.relatedAddress, '203.0.113.105');
    assert.equal(c.relatedPort, 46154);
    assert.equal(c.tcpType, null);
    assert.equal(c.usernameFragment, 'EsAw');
    assert.equal(c.candidate, CHROME_HOST, 'the given string is kept');
    assert.deepEqual(c.toJSON(), {
      candidate: CHROME_HOST,
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'EsAw',
    });
    assert.deepEqual(JSON.parse(JSON.stringify(c)), c.toJSON());
  });

  it('round-trips through aiortc-style fields and the SDP attribute', () => {
    const c = new RTCIceCandidate({
      component: 1,
      foundation: 'abc',
      ip: '2001:db8::1',
      port: 9,
      priority: 1000,
      protocol: 'TCP',
      type: 'host',
      tcpType: 'active',
    });
    assert.equal(c.candidate, 'candidate:abc 1 tcp 1000 2001:db8::1 9 typ host tcptype active');
    assert.equal(c.toSdp(), 'abc 1 tcp 1000 2001:db8::1 9 typ host tcptype active');
    const back = RTCIceCandidate.fromSdp(`a=${c.candidate}`, { sdpMid: 'audio' });
    assert.equal(back.protocol, 'tcp');
    assert.equal(back.tcpType, 'active');
    assert.equal(back.address, '2001:db8::1');
    assert.equal(back.sdpMid, 'audio');
    const relay = new RTCIceCandidate({
      foundation: '7',
      component: 'rtcp',
      priority: 5,
      address: '192.0.2.1',
      port: 3478,
      type: 'relay',
      relatedAddress: '192.0.2.9',
      relatedPort: 1,
      relayProtocol: 'tls',
      url: 'turns:127.0.0.1',
    });
    assert.equal(relay.component, 'rtcp');
    assert.equal(relay.relayProtocol, 'tls');
    assert.equal(parseCandidate(relay.candidate)!.relatedPort, 1);
  });

  it('throws TypeError for bad construction, keeps unparsable strings as W3C does', () => {
    assert.throws(() => new RTCIceCandidate({ candidate: CHROME_HOST }), TypeError);
    assert.throws(
      () => new RTCIceCandidate({ foundation: 'x', priority: 1, port: 1, type: 'host' }),
      /address/,
    );
    assert.throws(
      () =>
        new RTCIceCandidate({ foundation: 'x', priority: 1, ip: '192.0.2.234', port: 70000, type: 'host' }),
      TypeError,
    );
    assert.throws(() => RTCIceCandidate.fromSdp('candidate:1 1 udp'), TypeError);
    const junk = new RTCIceCandidate({ candidate: 'candidate:what is this', sdpMLineIndex: 0 });
    assert.equal(junk.foundation, null);
    assert.equal(junk.parsed, undefined);
    const end = new RTCIceCandidate({ candidate: '', sdpMid: '0' });
    assert.equal(end.candidate, '');
    assert.equal(end.type, null);
  });

  it('rejects malformed fields in candidate lines', () => {
    for (const bad of [
      'candidate:1 1 udp 1 192.0.2.234 99999 typ host',
      'candidate:1 0 udp 1 192.0.2.234 9 typ host',
      'candidate:1 1 sctp 1 192.0.2.234 9 typ host',
      'candidate:1 1 udp 99999999999 192.0.2.234 9 typ host',
      'candidate:1 1 udp 1 192.0.2.234 9 type host',
      'candidate:1 1 udp 1 192.0.2.234 9 typ nat',
      'candidate:f@o 1 udp 1 192.0.2.234 9 typ host',
      'cand:1 1 udp 1 192.0.2.234 9 typ host',
    ]) {
      assert.equal(parseCandidate(bad), undefined, bad);
    }
  });

  it('never throws on random candidate text (seeded fuzz)', () => {
    const rng = new Prng(99);
    const alphabet = 'candidte:0123456789 .:abcdefhostypudprelayrflxraddrportcp-';
    for (let i = 0; i < 20_000; i++) {
      let s = rng.next() < 0.5 ? CHROME_HOST : 'candidate:';
      const edits = rng.int(6);
      for (let e = 0; e < edits; e++) {
        const at = rng.int(s.length + 1);
        s = s.slice(0, at) + alphabet[rng.int(alphabet.length)] + s.slice(at + rng.int(3));
      }
      const p = parseCandidate(s);
      if (p) assert.ok(p.port >= 0 && p.port <= 65535 && p.priority <= 0xffffffff);
    }
  });
});

describe('priorities and foundations', () => {
  it('computes RFC 8445 candidate priorities', () => {
    assert.equal(candidatePriority('host', 65535, 1), 2130706431);
    assert.equal(candidatePriority('srflx', 65535, 1), 1694498815);
    assert.equal(candidatePriority('relay', 0, 2), 254);
    assert.throws(() => candidatePriority('host', 70000), RangeError);
  });

  it('computes pair priorities that favour the controlling side on ties', () => {
    const g = 2130706431;
    const d = 1694498815;
    assert.equal(pairPriority(g, d), (BigInt(d) << 32n) + 2n * BigInt(g) + 1n);
    assert.equal(pairPriority(d, g), (BigInt(d) << 32n) + 2n * BigInt(g));
    assert.ok(pairPriority(g, g) > pairPriority(g, d));
  });

  it('gives equal foundations only to equal type, base, protocol and server', () => {
    assert.equal(candidateFoundation('host', '203.0.113.101'), candidateFoundation('host', '203.0.113.101'));
    assert.notEqual(
      candidateFoundation('host', '203.0.113.101'),
      candidateFoundation('host', '203.0.113.102'),
    );
    assert.notEqual(
      candidateFoundation('srflx', '203.0.113.101', 'udp', 'a'),
      candidateFoundation('srflx', '203.0.113.101', 'udp', 'b'),
    );
    assert.match(candidateFoundation('relay', '::1'), /^[0-9]{1,10}$/);
  });
});
