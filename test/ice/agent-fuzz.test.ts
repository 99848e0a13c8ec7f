import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IceAgent } from '../../src/ice/agent.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { candidatePriority } from '../../src/ice/priority.js';
import { credentials } from '../../src/ice/stun-checks.js';
import { StunAttr, StunMethod } from '../../src/stun/constants.js';
import { StunMessage } from '../../src/stun/message.js';
import { Prng } from '../sim/network.js';

/** Documentation address blocks (RFC 5737): simulated peers never use real addresses. */
const DOC_NETS = ['192.0.2', '198.51.100', '203.0.113', '192.0.2'];

const LOCAL = { usernameFragment: 'LOCL', password: 'local-password-0123456789' };
const REMOTE = { usernameFragment: 'REMO', password: 'remote-password-012345678' };
const remoteKey = credentials(REMOTE.usernameFragment, REMOTE.password).key;

function validCheck(rng: Prng): Uint8Array {
  const m = new StunMessage(StunMethod.Binding, 'request');
  m.setUsername('LOCL:REMO').setPriority(rng.int(2 ** 31));
  if (rng.next() < 0.5) m.setIceControlling(BigInt(rng.int(2 ** 31)));
  else m.setIceControlled(BigInt(rng.int(2 ** 31)));
  if (rng.next() < 0.3) m.setUseCandidate();
  return m.serialize({
    integrityKey: credentials(LOCAL.usernameFragment, LOCAL.password).key,
    fingerprint: true,
  });
}

function mutate(rng: Prng, input: Uint8Array): Uint8Array {
  let b = input.slice();
  switch (rng.int(5)) {
    case 0: // bit flips
      for (let i = rng.int(4) + 1; i > 0; i--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      break;
    case 1: // truncation
      b = b.slice(0, rng.int(b.length));
      break;
    case 2: {
      // an attribute length that lies (header length kept consistent so parsing gets that far)
      const at = 20 + 4 * rng.int(Math.max(1, (b.length - 20) >> 2));
      if (at + 4 <= b.length) new DataView(b.buffer).setUint16(at + 2, rng.int(0x10000));
      break;
    }
    case 3: // random garbage with a STUN-looking header
      b = new Uint8Array(20 + 4 * rng.int(30)).map(() => rng.int(256));
      b[0] = 0x00;
      b[1] = 0x01;
      new DataView(b.buffer).setUint16(2, b.length - 20);
      new DataView(b.buffer).setUint32(4, 0x2112a442);
      break;
    default: // class bits flipped: requests become responses and indications
      b[0]! ^= 0x01;
      b[1]! ^= 0x10 * rng.int(2);
  }
  return b;
}

describe('IceAgent fuzz (seeded)', () => {
  it('drops malformed, mutated and forged STUN without throwing or growing without bound', () => {
    const rng = new Prng(2024);
    const agent = new IceAgent({
      role: 'controlling',
      local: LOCAL,
      random: rng,
      maxRemoteCandidates: 50,
      maxPairs: 50,
    });
    agent.addLocalCandidate(
      new RTCIceCandidate({
        foundation: '1',
        priority: candidatePriority('host'),
        ip: '203.0.113.101',
        port: 5000,
        type: 'host',
      }),
      'h0',
    );
    agent.setRemoteParameters(0, REMOTE);
    const outstanding: { data: Uint8Array; to: { address: string; port: number } }[] = [];
    let now = 0;
    for (let i = 0; i < 20_000; i++) {
      now += rng.int(20);
      let source = { address: `${DOC_NETS[rng.int(4)]}.${rng.int(256)}`, port: 1000 + rng.int(50_000) };
      let data: Uint8Array;
      const pick = rng.next();
      if (pick < 0.2) data = validCheck(rng);
      else if (pick < 0.6) data = mutate(rng, validCheck(rng));
      else if (pick < 0.8 && outstanding.length > 0) {
        // Forged or mutated responses to our own outstanding checks.
        const sent = outstanding[rng.int(outstanding.length)]!;
        const req = StunMessage.parse(sent.data);
        if (rng.next() < 0.7) source = sent.to; // symmetric, so it reaches the response handling
        const res = req.createResponse(rng.next() < 0.5 ? 'success' : 'error');
        if (res.messageClass === 'success') res.setXorMappedAddress(source);
        else if (rng.next() < 0.3)
          res.add(
            StunAttr.ErrorCode,
            new Uint8Array(rng.int(8)).map(() => rng.int(256)),
          );
        else res.setErrorCode(rng.next() < 0.5 ? 487 : 400);
        // Half are signed with the right password (a confused but authenticated peer), some then mangled.
        const key = rng.next() < 0.5 ? remoteKey : credentials('x', 'wrong').key;
        const bytes = res.serialize({ integrityKey: key, fingerprint: true });
        data = rng.next() < 0.5 ? bytes : mutate(rng, bytes);
      } else data = new Uint8Array(rng.int(120)).map(() => rng.int(256));
      assert.doesNotThrow(() => agent.handleStun(now, 'h0', source, data));
      const t = agent.pollTimeout();
      if (t !== undefined && t <= now) agent.handleTimeout(now);
      for (let x = agent.pollTransmit(); x; x = agent.pollTransmit()) {
        const m = StunMessage.tryParse(x.data);
        if (m?.messageClass === 'request') {
          outstanding.push({ data: x.data, to: x.destination });
          if (outstanding.length > 64) outstanding.shift();
        }
      }
      while (agent.pollEvent()) {
        /* drain */
      }
    }
    assert.ok(agent.getRemoteCandidates().length <= 50);
    assert.ok(agent.getStats().length <= 50);
    const c = agent.counters;
    assert.ok(c.malformed > 1000, `malformed ${c.malformed}`);
    assert.ok(c.unauthorized + c.badRequest + c.unmatchedResponses > 100);
  });
});
