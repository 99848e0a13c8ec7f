import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StunMethod } from '../../src/stun/constants.js';
import { StunMessage } from '../../src/stun/message.js';
import { StunTransactions } from '../../src/stun/transaction.js';

const dest = { address: '127.0.0.1', port: 3478 };

function drainSendTimes(t: StunTransactions<string>, until: number): number[] {
  const times: number[] = [];
  let now = 0;
  while (t.pollTransmit()) times.push(now);
  for (;;) {
    const next = t.pollTimeout();
    if (next === undefined || next > until) break;
    now = next;
    t.handleTimeout(now);
    while (t.pollTransmit()) times.push(now);
  }
  return times;
}

describe('StunTransactions', () => {
  it('retransmits on the RFC 8489 schedule and times out after Rm·RTO', () => {
    const t = new StunTransactions<string>();
    const req = new StunMessage(StunMethod.Binding, 'request');
    t.start(0, req, req.serialize(), dest, 'a');
    const times = drainSendTimes(t, 100_000);
    assert.deepEqual(times, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    const ev = t.pollEvent();
    assert.equal(ev?.type, 'timeout');
    assert.equal(ev?.meta, 'a');
    assert.equal(t.size, 0);
  });

  it('matches a response by transaction id and method, and ignores others', () => {
    const t = new StunTransactions<number>();
    const req = new StunMessage(StunMethod.Binding, 'request');
    t.start(10, req, req.serialize(), dest, 7);
    const wrongMethod = new StunMessage(StunMethod.Allocate, 'success', req.transactionId);
    assert.equal(t.handleResponse(20, StunMessage.parse(wrongMethod.serialize())), false);
    const stranger = new StunMessage(StunMethod.Binding, 'success');
    assert.equal(t.handleResponse(20, stranger), false);
    const ok = StunMessage.parse(req.createResponse('success').serialize());
    assert.equal(t.handleResponse(42, ok), true);
    const ev = t.pollEvent();
    assert.ok(ev && ev.type === 'response');
    assert.equal(ev.rtt, 32);
    assert.equal(ev.meta, 7);
    assert.equal(t.pollTimeout(), undefined);
    // A duplicate response is not matched twice.
    assert.equal(t.handleResponse(50, ok), false);
  });

  it('sends once over reliable transports and times out after Ti', () => {
    const t = new StunTransactions<string>();
    const req = new StunMessage(StunMethod.Allocate, 'request');
    t.start(0, req, req.serialize(), dest, 'tcp', { reliable: true });
    assert.deepEqual(drainSendTimes(t, 100_000), [0]);
    assert.equal(t.pollEvent()?.type, 'timeout');
  });
});
