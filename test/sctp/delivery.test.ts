import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, makeMessages, makePair, sha256 } from './harness.js';

const LOSSY = (loss: number) => ({
  delay: 10,
  jitter: 4,
  loss,
  duplicate: 0.03,
  reorder: 0.05,
  reorderDelay: 15,
});

describe('SCTP association on the simulated network', () => {
  it('establishes with both sides sending INIT (collision) and with one side only', () => {
    for (const bothInit of [true, false]) {
      const { net, client, server } = makePair({ delay: 5 });
      assert.equal(connect(net, client, server, bothInit), true);
      assert.equal(client.assoc.peerTag, server.assoc.localTag);
      assert.equal(server.assoc.peerTag, client.assoc.localTag);
      assert.equal(client.assoc.outboundStreams, 65_535);
      assert.equal(client.assoc.peerInterleaving, true);
    }
  });

  for (const loss of [0, 0.05, 0.3]) {
    for (const unordered of [false, true]) {
      for (const interleaving of [true, false]) {
        it(`delivers every byte exactly once, ${unordered ? 'unordered' : 'ordered'}, ${loss * 100}% loss, ${interleaving ? 'I-DATA' : 'DATA'}`, () => {
          const { net, client, server } = makePair(
            LOSSY(loss),
            7 + loss * 100,
            { interleaving },
            { interleaving },
          );
          assert.equal(connect(net, client, server), true);
          const count = loss >= 0.3 ? 120 : 300;
          const messages = makeMessages(11, count, 5000, 4);
          for (const [i, m] of messages.entries()) {
            assert.equal(client.assoc.send(net.now, i % 3, 53, m, { unordered }), true);
          }
          const done = net.runUntil(() => server.messages.length >= count, 600_000);
          const acked = net.runUntil(() => client.assoc.sender!.outstanding === 0, 600_000);
          net.runFor(1_000);
          assert.equal(done, true, `delivered ${server.messages.length}/${count}`);
          assert.equal(acked, true, 'everything acknowledged');
          assert.equal(server.messages.length, count, 'no duplicates');
          if (unordered) {
            const byIndex = [...server.messages].sort(
              (a, b) =>
                new DataView(a.data.buffer, a.data.byteOffset).getUint32(0) -
                new DataView(b.data.buffer, b.data.byteOffset).getUint32(0),
            );
            assert.equal(sha256(byIndex.map((m) => m.data)), sha256(messages));
          } else {
            for (const stream of [0, 1, 2]) {
              const sent = messages.filter((_, i) => i % 3 === stream);
              const got = server.messages.filter((m) => m.streamId === stream).map((m) => m.data);
              assert.equal(sha256(got), sha256(sent), `stream ${stream} content and order`);
            }
          }
        });
      }
    }
  }
});
