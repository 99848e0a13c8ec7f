/**
 * Two RTCIceTransports with iceTransportPolicy 'relay' connect through a real coturn on 127.0.0.1 over
 * UDP, TCP and TLS to the server, and data flows through the relay both ways.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RTCIceGatherer } from '../../src/ice/gatherer.js';
import type { RTCIceServer } from '../../src/ice/ice-server.js';
import { RTCIceTransport } from '../../src/ice/transport.js';
import { type CoturnServer, coturnSkipReason, startCoturn } from '../interop/coturn.js';

const skip = coturnSkipReason();

describe('RTCIceTransport through coturn (relay only)', { skip }, () => {
  let turn: CoturnServer;
  before(async () => {
    turn = await startCoturn();
  });
  after(async () => {
    await turn?.stop();
  });

  async function connectVia(url: string): Promise<void> {
    const server: RTCIceServer = { urls: url, username: turn.username, credential: turn.password };
    const options = { loopbackOnly: true, iceServers: [server], iceTransportPolicy: 'relay' as const };
    const g1 = new RTCIceGatherer({ ...options, turnRejectUnauthorized: false });
    const g2 = new RTCIceGatherer({ ...options, turnRejectUnauthorized: false });
    const errors: string[] = [];
    g1.onicecandidateerror = (e) => errors.push(`${e.errorCode} ${e.errorText}`);
    g2.onicecandidateerror = (e) => errors.push(`${e.errorCode} ${e.errorText}`);
    await Promise.all([g1.gather(), g2.gather()]);
    assert.deepEqual(errors, [], `gathering errors; coturn log:\n${turn.log().slice(-2000)}`);
    const c1 = g1.getLocalCandidates();
    const c2 = g2.getLocalCandidates();
    assert.ok(c1.length >= 1 && c2.length >= 1);
    assert.ok(
      [...c1, ...c2].every((c) => c.type === 'relay'),
      'relay policy offers relayed candidates only',
    );

    const t1 = new RTCIceTransport(g1);
    const t2 = new RTCIceTransport(g2);
    t1.role = 'controlling';
    t2.role = 'controlled';
    try {
      for (const c of c2) t1.addRemoteCandidate(c);
      for (const c of c1) t2.addRemoteCandidate(c);
      t1.addRemoteCandidate(null);
      t2.addRemoteCandidate(null);
      await Promise.all([t1.start(g2.getLocalParameters()), t2.start(g1.getLocalParameters())]);
      const pair = t1.getSelectedCandidatePair();
      assert.equal(pair?.local.type, 'relay');
      assert.equal(pair?.remote.type, 'relay');

      const N = 50;
      const got1 = new Set<string>();
      const got2 = new Set<string>();
      const done = new Promise<void>((resolve) => {
        const check = () => got1.size === N && got2.size === N && resolve();
        t1.attach((d) => {
          got1.add(Buffer.from(d).toString());
          check();
        });
        t2.attach((d) => {
          got2.add(Buffer.from(d).toString());
          check();
        });
      });
      // Relayed UDP may drop a datagram: resend until everything arrived (bounded).
      for (let round = 0; round < 20 && (got1.size < N || got2.size < N); round++) {
        for (let i = 0; i < N; i++) {
          t1.send(Buffer.from(`x1 ${i}`));
          t2.send(Buffer.from(`x2 ${i}`));
        }
        await Promise.race([done, new Promise((r) => setTimeout(r, 250))]);
      }
      await done;
      assert.ok([...got2].every((m) => m.startsWith('x1')));
      assert.ok([...got1].every((m) => m.startsWith('x2')));
    } finally {
      await Promise.all([t1.stop(), t2.stop()]);
    }
  }

  it('over UDP to the server', async () => {
    await connectVia(`turn:127.0.0.1:${turn.port}?transport=udp`);
  });

  it('over TCP to the server', async () => {
    await connectVia(`turn:127.0.0.1:${turn.port}?transport=tcp`);
  });

  it('over TLS to the server', async () => {
    await connectVia(`turns:127.0.0.1:${turn.tlsPort}?transport=tcp`);
  });

  it('bad credentials surface as icecandidateerror and gathering still completes', async () => {
    const g = new RTCIceGatherer({
      loopbackOnly: true,
      iceTransportPolicy: 'relay',
      iceServers: [{ urls: `turn:127.0.0.1:${turn.port}`, username: turn.username, credential: 'wrong' }],
    });
    const codes: number[] = [];
    g.onicecandidateerror = (e) => codes.push(e.errorCode);
    await g.gather();
    assert.equal(g.state, 'complete');
    assert.deepEqual(g.getLocalCandidates(), []);
    assert.equal(codes.length, 1);
    assert.ok(codes[0] === 401 || codes[0] === 441, `error code ${codes[0]}`);
    g.close();
  });
});

describe('RTCIceGatherer: a TURN allocation lost after gathering', { skip }, () => {
  it('is reported as icecandidateerror (the server went away under a TCP allocation)', async () => {
    const turn = await startCoturn();
    const g = new RTCIceGatherer({
      loopbackOnly: true,
      iceTransportPolicy: 'relay',
      iceServers: [
        {
          urls: `turn:127.0.0.1:${turn.port}?transport=tcp`,
          username: turn.username,
          credential: turn.password,
        },
      ],
    });
    try {
      const errors: string[] = [];
      g.onicecandidateerror = (e) => errors.push(`${e.errorCode} ${e.errorText}`);
      await g.gather();
      assert.equal(g.getLocalCandidates().filter((c) => c.type === 'relay').length, 1);
      assert.deepEqual(errors, []);
      await turn.stop();
      const deadline = Date.now() + 5000;
      while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(errors.length, 1, 'one icecandidateerror');
      assert.match(errors[0]!, /allocation lost/);
    } finally {
      g.close();
      await turn.stop();
    }
  });
});
