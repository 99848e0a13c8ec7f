/** aiortc's signaling JSON: exact round trip of aiortc-shaped samples, refusals, line splitting, fuzz. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, SignalingInbox } from '../../src/contrib/signaling/inbox.js';
import {
  BYE,
  objectFromString,
  objectToString,
  SignalingBye,
  SignalingError,
} from '../../src/contrib/signaling/index.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { RTCSessionDescription } from '../../src/peerconnection/session-description.js';
import { Prng } from '../sim/network.js';

// What aiortc 1.x prints (json.dumps(..., sort_keys=True)), written from its object_to_string.
const AIORTC_OFFER =
  '{"sdp": "v=0\\r\\no=- 3913000000 3913000000 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n' +
  'a=group:BUNDLE 0\\r\\na=msid-semantic:WMS *\\r\\nm=application 9 DTLS/SCTP 5000\\r\\n' +
  'c=IN IP4 0.0.0.0\\r\\na=mid:0\\r\\na=sctpmap:5000 webrtc-datachannel 65535\\r\\n' +
  'a=max-message-size:65536\\r\\na=candidate:e4a2c5b1f0d3 1 udp 2130706431 127.0.0.1 50123 typ host\\r\\n' +
  'a=end-of-candidates\\r\\na=ice-ufrag:Xz3k\\r\\na=ice-pwd:m2Qm1aT0kP6fB9hV7rN4sY\\r\\n' +
  'a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\\r\\n' +
  'a=setup:actpass\\r\\n", "type": "offer"}';
const AIORTC_CANDIDATE =
  '{"candidate": "candidate:e4a2c5b1f0d3 1 udp 2130706431 127.0.0.1 50123 typ host", "id": "0", "label": 0, "type": "candidate"}';
const AIORTC_BYE = '{"type": "bye"}';

describe('signaling wire format (aiortc contrib.signaling)', () => {
  it('parses an aiortc offer and prints it back byte for byte', () => {
    const offer = objectFromString(AIORTC_OFFER);
    assert.ok(offer instanceof RTCSessionDescription);
    assert.equal(offer.type, 'offer');
    assert.ok(offer.sdp.startsWith('v=0\r\no=- 3913000000'));
    assert.ok(offer.sdp.includes('a=setup:actpass\r\n'));
    assert.equal(objectToString(offer), AIORTC_OFFER);
  });

  it('parses an aiortc candidate (id = sdpMid, label = sdpMLineIndex) and prints it back', () => {
    const c = objectFromString(AIORTC_CANDIDATE);
    assert.ok(c instanceof RTCIceCandidate);
    assert.equal(c.sdpMid, '0');
    assert.equal(c.sdpMLineIndex, 0);
    assert.equal(c.address, '127.0.0.1');
    assert.equal(c.port, 50123);
    assert.equal(c.type, 'host');
    assert.equal(c.priority, 2130706431);
    assert.equal(objectToString(c), AIORTC_CANDIDATE);
  });

  it('BYE both ways, and compact JSON (as JSON.stringify writes it) is accepted too', () => {
    assert.equal(objectFromString(AIORTC_BYE), BYE);
    assert.equal(objectToString(BYE), AIORTC_BYE);
    const compact = JSON.stringify({ type: 'answer', sdp: 'v=0\r\n' });
    const answer = objectFromString(compact);
    assert.ok(answer instanceof RTCSessionDescription);
    assert.equal(answer.type, 'answer');
    assert.equal(objectToString(answer), '{"sdp": "v=0\\r\\n", "type": "answer"}');
  });

  it('writes candidates built from fields with the candidate: prefix and escapes non-ASCII like Python', () => {
    const c = RTCIceCandidate.fromSdp('candidate:1 1 udp 100 ::1 9 typ host', {
      sdpMid: 'a',
      sdpMLineIndex: 1,
    });
    assert.equal(
      objectToString(c),
      '{"candidate": "candidate:1 1 udp 100 ::1 9 typ host", "id": "a", "label": 1, "type": "candidate"}',
    );
    const d = new RTCSessionDescription({ type: 'offer', sdp: 's=é\r\n' });
    assert.equal(objectToString(d), '{"sdp": "s=\\u00e9\\r\\n", "type": "offer"}');
    assert.equal((objectFromString(objectToString(d)) as RTCSessionDescription).sdp, 's=é\r\n');
  });

  it('refuses malformed messages with a SignalingError that says why', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[1,2]', /not a JSON object/],
      ['null', /not a JSON object/],
      ['{"type":"hello"}', /unknown type "hello"/],
      ['{}', /unknown type/],
      ['{"type":"offer"}', /no "sdp"/],
      ['{"type":"offer","sdp":5}', /no "sdp"/],
      ['{"type":"candidate","id":"0","label":0}', /no "candidate"/],
      ['{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}', /neither/],
      ['{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","label":-1}', /label/],
      ['{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","id":7}', /"id"/],
      ['{"type":"candidate","candidate":"garbage","id":"0"}', /not an ICE candidate/],
      [
        '{"type":"candidate","candidate":"candidate:x 1 udp 1 127.0.0.1 99999 typ host","id":"0"}',
        /not an ICE/,
      ],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => objectFromString(text),
        (e: unknown) => e instanceof SignalingError && e.code === 'malformed' && why.test(e.message),
        text,
      );
    }
    const big = JSON.stringify({ type: 'offer', sdp: 'x'.repeat(300_000) });
    assert.throws(
      () => objectFromString(big),
      (e: unknown) => e instanceof SignalingError && e.code === 'oversize',
    );
    assert.ok(objectFromString(big, 400_000) instanceof RTCSessionDescription);
  });

  it('an empty candidate is end-of-candidates', () => {
    const c = objectFromString('{"candidate": "", "id": "0", "label": 0, "type": "candidate"}');
    assert.ok(c instanceof RTCIceCandidate);
    assert.equal(c.candidate, '');
  });

  it('fuzz: mutated messages either parse or raise SignalingError, nothing else', () => {
    const prng = new Prng(0x516e);
    const seeds = [AIORTC_OFFER, AIORTC_CANDIDATE, AIORTC_BYE];
    let parsed = 0;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const chars = [...(seeds[prng.int(seeds.length)] as string)];
      const edits = 1 + prng.int(6);
      for (let k = 0; k < edits; k++) {
        const at = prng.int(chars.length);
        const op = prng.int(3);
        const ch = String.fromCharCode(prng.int(128));
        if (op === 0) chars[at] = ch;
        else if (op === 1) chars.splice(at, 1);
        else chars.splice(at, 0, ch);
      }
      try {
        const obj = objectFromString(chars.join(''));
        assert.ok(
          obj instanceof RTCSessionDescription ||
            obj instanceof RTCIceCandidate ||
            obj instanceof SignalingBye,
        );
        parsed++;
      } catch (e) {
        assert.ok(e instanceof SignalingError, `unexpected ${String(e)}`);
        refused++;
      }
    }
    assert.ok(parsed > 100 && refused > 1000, `parsed ${parsed}, refused ${refused}`);
  });
});

describe('LineSplitter and SignalingInbox', () => {
  it('splits lines across chunk boundaries, strips CR, discards an oversize line and keeps going', () => {
    const lines: string[] = [];
    let oversize = 0;
    const s = new LineSplitter(
      (l) => lines.push(l),
      () => oversize++,
      10,
    );
    for (const part of ['ab', 'c\r\nde', 'f\n0123456789ABCDEF', 'GHIJ\nok\n', 'tail'])
      s.push(Buffer.from(part));
    s.flush();
    assert.deepEqual(lines, ['abc', 'def', 'ok', 'tail']);
    assert.equal(oversize, 1);
  });

  it('fuzz: random chunking gives the same lines as a one-shot split; no line exceeds the bound', () => {
    const prng = new Prng(1234);
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 1 + prng.int(400) }, () =>
        prng.int(10) === 0 ? '\n' : String.fromCharCode(97 + prng.int(26)),
      ).join('');
      const max = 1 + prng.int(40);
      const expected = text.split('\n');
      const last = expected.pop() ?? '';
      if (last !== '') expected.push(last);
      const lines: string[] = [];
      let oversize = 0;
      const s = new LineSplitter(
        (l) => lines.push(l),
        () => oversize++,
        max,
      );
      const bytes = Buffer.from(text);
      for (let i = 0; i < bytes.length; ) {
        const n = 1 + prng.int(50);
        s.push(bytes.subarray(i, i + n));
        i += n;
      }
      s.flush();
      const kept = expected.filter((l) => l.length <= max && l !== '');
      assert.deepEqual(
        lines.filter((l) => l !== ''),
        kept,
      );
      assert.equal(oversize, expected.filter((l) => l.length > max).length);
    }
  });

  it('reports a bad message once, then delivers the next; BYE after the end', async () => {
    const inbox = new SignalingInbox();
    const first = inbox.receive();
    inbox.pushText('{oops');
    inbox.pushText(AIORTC_BYE);
    await assert.rejects(first, SignalingError);
    assert.equal(await inbox.receive(), BYE);
    assert.equal(inbox.rejected, 1);
    inbox.end();
    assert.equal(await inbox.receive(), BYE);
  });
});
