/**
 * A dead peer over real sockets: the other side is a tsrtc process (datachannel-cli) killed with SIGKILL mid-call,
 * so no SCTP ABORT, DTLS close_notify or signaling BYE ever comes. Consent freshness alone must notice, at
 * libwebrtc's defaults: `disconnected` about 5 s after the last response, `failed` about 15 s, and the failed
 * connection closes its data channels. (The same timeline in virtual time: sim-connection.test.ts.)
 */
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { it } from 'node:test';
import { consumeSignaling, createSignaling, DescriptionSender } from '../../src/contrib/signaling/index.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { freePort, startCli } from '../cli/processes.js';

it('a peer process killed mid-call: disconnected after ~5 s, failed after ~15 s, its channel closed', async () => {
  const port = await freePort();
  const signalingArgs = ['-s', 'tcp-socket', '--signaling-port', String(port), '--loopback'];
  const peer = startCli('datachannel-cli', ['answer', ...signalingArgs], { timeoutMs: 90_000 });
  const signaling = createSignaling({ signaling: 'tcp-socket', port });
  const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
  try {
    const sender = new DescriptionSender(pc, signaling, false);
    await signaling.connect();
    const channel = pc.createDataChannel('chat');
    const pong = new Promise<string>((resolve) => {
      channel.onmessage = (e) => resolve(String(e.data));
    });
    channel.onopen = () => channel.send('ping 1');
    await pc.setLocalDescription();
    await sender.send();
    void consumeSignaling(pc, signaling, sender, { onSignalingError: () => undefined }).catch(
      () => undefined,
    );
    assert.equal(await pong, 'pong 1', 'the call works before the peer dies');

    const states: { state: string; ms: number }[] = [];
    let channelClosedMs = -1;
    channel.onclose = () => {
      channelClosedMs = performance.now() - killedAt;
    };
    const failed = new Promise<void>((resolve) => {
      pc.onconnectionstatechange = () => {
        states.push({ state: pc.connectionState, ms: performance.now() - killedAt });
        if (pc.connectionState === 'failed') resolve();
      };
    });
    // What to look at if the timeline is off (one loaded run failed after 21.5 s, not ~15 s): the selected
    // pair's changes, the pairs' last responses, and how late this process's event loop ran.
    const ice = pc.sctp!.transport.iceTransport;
    const trail: string[] = [];
    ice.addEventListener('selectedcandidatepairchange', () =>
      trail.push(`${(performance.now() - killedAt).toFixed(0)} ms: selected pair changed`),
    );
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    peer.child.kill('SIGKILL');
    const killedAt = performance.now();
    await Promise.race([
      failed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`states ${JSON.stringify(states)}`)), 35_000),
      ),
    ]);
    await new Promise((r) => setImmediate(r));
    loopDelay.disable();
    const pairs = ice
      .getStats()
      .map((p) => `${p.local.address}→${p.remote.address} ${p.state} responses ${p.responsesReceived}`);
    const diagnostics = `${JSON.stringify(states)}; ${trail.join(', ') || 'no pair change'}; pairs: ${pairs.join(', ')}; event-loop delay max ${(loopDelay.max / 1e6).toFixed(0)} ms`;
    const at = (s: string): number => states.find((x) => x.state === s)?.ms ?? -1;
    console.log(
      `dead peer: disconnected after ${at('disconnected').toFixed(0)} ms, failed after ${at('failed').toFixed(0)} ms, channel closed after ${channelClosedMs.toFixed(0)} ms`,
    );
    // Consent checks every 2.5 s (±20 %): the last answered one is up to ~3 s before the kill.
    assert.ok(at('disconnected') > 2_000 && at('disconnected') < 8_000, diagnostics);
    // ~15 s after the last response (exactly so in virtual time: sim-connection.test.ts); here the bound is
    // RFC 7675's 30 s less a margin, because one run on a loaded machine saw `failed` at 21.5 s with
    // `disconnected` on time (the diagnostics are printed to find out why).
    if (at('failed') >= 18_000) console.log(`dead peer: failed late: ${diagnostics}`);
    assert.ok(at('failed') > 12_000 && at('failed') < 25_000, diagnostics);
    assert.deepEqual(
      states.map((s) => s.state),
      ['disconnected', 'failed'],
    );
    assert.equal(channel.readyState, 'closed');
    assert.ok(channelClosedMs >= at('failed'), 'the channel closes when the connection fails');
  } finally {
    pc.close();
    await signaling.close().catch(() => undefined);
    peer.child.kill('SIGKILL');
    await peer.finished;
  }
});
