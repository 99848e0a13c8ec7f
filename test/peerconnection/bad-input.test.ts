/**
 * Malformed, truncated and contradictory descriptions are refused with the W3C error and leave the connection
 * as it was; a closed connection releases its sockets and timers so the process exits on its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

const config = { iceLoopbackOnly: true };

async function remoteOffer(): Promise<string> {
  const pc = new RTCPeerConnection(config);
  pc.createDataChannel('x');
  pc.addTransceiver('audio');
  const offer = await pc.createOffer();
  await pc.close();
  return offer.sdp!;
}

describe('RTCPeerConnection refuses bad descriptions and keeps its state', () => {
  it('offers that are malformed, truncated or incomplete', async () => {
    const good = await remoteOffer();
    const cases: [string, string, string][] = [
      ['garbage', 'not an sdp at all', 'OperationError'],
      ['truncated', good.slice(0, Math.floor(good.length / 3)), ''],
      ['no ICE credentials', good.replace(/a=ice-(ufrag|pwd):.*\r\n/g, ''), 'OperationError'],
      ['no fingerprint', good.replace(/a=fingerprint:.*\r\n/g, ''), 'OperationError'],
      ['unknown setup role', good.replace(/a=setup:actpass/g, 'a=setup:sideways'), ''],
    ];
    for (const [name, sdp, expected] of cases) {
      const pc = new RTCPeerConnection(config);
      const err = await pc.setRemoteDescription({ type: 'offer', sdp }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(err, `${name}: must be refused`);
      if (expected) assert.equal(err.name, expected, `${name}: ${err.message}`);
      else
        assert.ok(
          err instanceof DOMException || err instanceof TypeError,
          `${name}: ${err.name} ${err.message}`,
        );
      assert.ok(err.message.length > 10, `${name}: the message says what was wrong`);
      assert.equal(pc.signalingState, 'stable', `${name}: state unchanged`);
      assert.equal(pc.remoteDescription, null, `${name}: no remote description`);
      await pc.close();
    }
  });

  it('answers that contradict the offer', async () => {
    const offerer = new RTCPeerConnection(config);
    const answerer = new RTCPeerConnection(config);
    try {
      offerer.createDataChannel('x');
      offerer.addTransceiver('audio');
      await offerer.setLocalDescription();
      await answerer.setRemoteDescription(offerer.localDescription!);
      await answerer.setLocalDescription();
      const answer = answerer.localDescription!.sdp;
      const cases: [string, string][] = [
        ['m-lines swapped', swapMLines(answer)],
        ['mid changed', answer.replace('a=mid:0', 'a=mid:zz')],
        ['setup actpass in an answer', answer.replace(/a=setup:active/g, 'a=setup:actpass')],
        ['no ICE password', answer.replace(/a=ice-pwd:.*\r\n/g, '')],
      ];
      for (const [name, sdp] of cases) {
        const err = await offerer.setRemoteDescription({ type: 'answer', sdp }).then(
          () => undefined,
          (e: Error) => e,
        );
        assert.ok(err, `${name}: must be refused`);
        assert.ok(err instanceof DOMException, `${name}: ${String(err)}`);
        assert.equal(offerer.signalingState, 'have-local-offer', `${name}: state unchanged`);
      }
      // The real answer still works afterwards.
      await offerer.setRemoteDescription({ type: 'answer', sdp: answer });
      assert.equal(offerer.signalingState, 'stable');
    } finally {
      await offerer.close();
      await answerer.close();
    }
  });

  it('a local description that is not what createOffer returned', async () => {
    const pc = new RTCPeerConnection(config);
    pc.createDataChannel('x');
    const offer = await pc.createOffer();
    await assert.rejects(
      pc.setLocalDescription({ type: 'offer', sdp: offer.sdp!.replace('a=mid:0', 'a=mid:1') }),
      { name: 'InvalidModificationError' },
    );
    assert.equal(pc.signalingState, 'stable');
    await pc.close();
  });

  it('a closed connection lets the process exit on its own', () => {
    const script = `
      import { RTCPeerConnection } from './src/peerconnection/peer-connection.ts';
      const a = new RTCPeerConnection({ iceLoopbackOnly: true });
      const b = new RTCPeerConnection({ iceLoopbackOnly: true });
      // A candidate reaching a peer already closed is refused and dropped; one refused before fails the script.
      const trickle = (from, to) => {
        from.onicecandidate = (e) =>
          void to.addIceCandidate(e.candidate).catch((error) => {
            if (to.connectionState !== 'closed') throw error;
          });
      };
      trickle(a, b);
      trickle(b, a);
      const ch = a.createDataChannel('x');
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription);
      await new Promise((r) => ch.addEventListener('open', r));
      await a.close();
      await b.close();
      console.log('closed');
    `;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /closed/);
    assert.ok(Date.now() - started < 60_000, 'exited without being killed');
  });
});

function swapMLines(sdp: string): string {
  const [head, ...sections] = sdp.split(/(?=^m=)/m);
  return [head, ...sections.reverse()].join('');
}
