/**
 * The TURN client against a real coturn on 127.0.0.1: allocations over UDP, TCP and TLS; data relayed both
 * ways between two allocations (each the other's peer) as Send/Data indications and as ChannelData;
 * refresh with a short server-side lifetime and stale nonces; 401, 486, 300 and an unreachable server;
 * close() deallocates. Run inside ../shared/scripts/netns.sh.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import type { TransportAddress } from '../../src/common/engine.js';
import { TurnConnection, type TurnConnectionOptions, TurnError } from '../../src/net/turn-connection.js';
import { StunMethod } from '../../src/stun/constants.js';
import { StunMessage } from '../../src/stun/message.js';
import { type CoturnServer, coturnSkipReason, startCoturn } from './coturn.js';

const skip = coturnSkipReason();
const LOCAL = '127.0.0.1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

type Transport = 'udp' | 'tcp' | 'tls';

function connect(turn: CoturnServer, transport: Transport, extra: Partial<TurnConnectionOptions> = {}) {
  return new TurnConnection({
    server: { address: turn.address, port: transport === 'tls' ? turn.tlsPort : turn.port },
    transport,
    username: turn.username,
    credential: turn.password,
    rejectUnauthorized: false,
    localAddress: LOCAL,
    url: `turn:${turn.address}`,
    ...extra,
  });
}

/** Two allocations, each the other's peer; returns what each received. */
async function relayPair(a: TurnConnection, b: TurnConnection, count: number) {
  const [ra, rb] = await Promise.all([a.allocate(), b.allocate()]);
  const gotA: string[] = [];
  const gotB: string[] = [];
  const from: TransportAddress[] = [];
  a.onData = (_peer, data) => gotA.push(Buffer.from(data).toString());
  b.onData = (peer, data) => {
    from.push(peer);
    gotB.push(Buffer.from(data).toString());
  };
  a.createPermission(rb.relayed);
  b.createPermission(ra.relayed);
  assert.ok(await until(() => a.client.hasPermission(LOCAL) && b.client.hasPermission(LOCAL)));
  for (let i = 0; i < count; i++) {
    a.sendTo(rb.relayed, Buffer.from(`a${i}`));
    b.sendTo(ra.relayed, Buffer.from(`b${i}`));
    await sleep(10);
  }
  await until(() => gotA.length >= count && gotB.length >= count, 5_000);
  return { ra, rb, gotA, gotB, from };
}

describe('TURN client against coturn', { skip }, () => {
  let turn: CoturnServer;
  before(async () => {
    turn = await startCoturn();
  });
  after(async () => {
    await turn?.stop();
  });

  for (const transport of ['udp', 'tcp', 'tls'] as const) {
    it(`allocates over ${transport.toUpperCase()} and relays both ways (indications, then ChannelData)`, async () => {
      const a = connect(turn, transport);
      const b = connect(turn, transport);
      try {
        const { ra, rb, gotA, gotB, from } = await relayPair(a, b, 30);
        assert.equal(ra.relayed.address, LOCAL);
        assert.equal(ra.mapped?.address, LOCAL);
        assert.notEqual(ra.relayed.port, rb.relayed.port);
        const want = (p: string) => Array.from({ length: 30 }, (_, i) => `${p}${i}`);
        // Loopback UDP between coturn's relay sockets does not reorder or lose in practice; compare as sets.
        assert.deepEqual([...gotB].sort(), want('a').sort(), `coturn log:\n${turn.log().slice(-1500)}`);
        assert.deepEqual([...gotA].sort(), want('b').sort());
        assert.deepEqual(from[0], ra.relayed, 'data is attributed to the peer relayed address');
        assert.equal(a.client.channelFor(rb.relayed), 0x4000, 'a channel got bound');
        assert.equal(a.client.stats.integrityFailures, 0);
        assert.equal(a.client.stats.malformed, 0);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      assert.equal(a.state, 'closed');
      assert.equal(b.state, 'closed');
    });
  }

  it('ignores datagrams that do not come from the server (no injected Data indications)', async () => {
    const a = connect(turn, 'udp');
    const got: string[] = [];
    a.onData = (_p, d) => got.push(Buffer.from(d).toString());
    const forger = createSocket('udp4');
    try {
      const { relayed } = await a.allocate();
      const local = a.localAddress!;
      const forged = new StunMessage(StunMethod.Data, 'indication')
        .setXorPeerAddress({ address: LOCAL, port: relayed.port })
        .setData(Buffer.from('forged'))
        .serialize();
      await new Promise<void>((r) => forger.send(forged, local.port, local.address, () => r()));
      await sleep(200);
      assert.deepEqual(got, []);
    } finally {
      forger.close();
      await a.close();
    }
  });

  it('relays with Send/Data indications only when channels are off', async () => {
    const a = connect(turn, 'udp', { useChannels: false });
    const b = connect(turn, 'udp', { useChannels: false });
    try {
      const { rb, gotA, gotB } = await relayPair(a, b, 20);
      assert.equal(gotA.length, 20);
      assert.equal(gotB.length, 20);
      assert.equal(a.client.channelFor(rb.relayed), undefined);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('rejects allocate() with 401 on a wrong credential (no unhandled rejection)', async () => {
    for (const transport of ['udp', 'tcp', 'tls'] as const) {
      const a = connect(turn, transport, { credential: 'not-the-password' });
      await assert.rejects(a.allocate(), (err: unknown) => {
        assert.ok(err instanceof TurnError);
        assert.equal(err.code, 401);
        assert.equal(err.url, `turn:${turn.address}`);
        return true;
      });
      await a.close();
      assert.equal(a.state, 'closed');
    }
  });

  it('checks the TLS certificate by default: a self-signed server is refused', async () => {
    const a = new TurnConnection({
      server: { address: turn.address, port: turn.tlsPort },
      transport: 'tls',
      username: turn.username,
      credential: turn.password,
      servername: 'localhost',
    });
    await assert.rejects(a.allocate(), (err: unknown) => {
      assert.ok(err instanceof TurnError);
      assert.equal(err.code, 701);
      assert.match(err.message, /certificate/i);
      return true;
    });
    await a.close();
  });

  it('rejects with 701 when nothing listens (UDP retransmits give up; TCP is refused)', async () => {
    const udp = new TurnConnection({
      server: { address: LOCAL, port: 9 },
      transport: 'udp',
      username: 'u',
      credential: 'p',
      timing: { rto: 100, maxSends: 3, finalWaitFactor: 4 },
    });
    await assert.rejects(udp.allocate(), (err: unknown) => err instanceof TurnError && err.code === 701);
    const tcp = new TurnConnection({
      server: { address: LOCAL, port: 9 },
      transport: 'tcp',
      username: 'u',
      credential: 'p',
    });
    await assert.rejects(tcp.allocate(), (err: unknown) => err instanceof TurnError && err.code === 701);
    await Promise.all([udp.close(), tcp.close()]);
  });
});

describe('TURN client against coturn: lifetimes, nonces, quota, redirects', { skip }, () => {
  let short: CoturnServer;
  let quota: CoturnServer;
  let redirector: CoturnServer;
  before(async () => {
    [short, quota] = await Promise.all([
      // Allocations live 6 s (the client refreshes at 3 s); nonces go stale after 2 s.
      startCoturn({ extraArgs: ['--max-allocate-lifetime=6', '--stale-nonce=2', '--verbose'] }),
      startCoturn({ extraArgs: ['--user-quota=1'] }),
    ]);
    redirector = await startCoturn({
      extraArgs: [`--alternate-server=127.0.0.1:${short.port}`],
    });
  });
  after(async () => {
    await Promise.all([short?.stop(), quota?.stop(), redirector?.stop()]);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`refreshes the allocation through stale nonces over ${transport.toUpperCase()}`, async () => {
      const a = connect(short, transport);
      const b = connect(short, transport);
      let refreshed = 0;
      try {
        const { ra, rb } = await relayPair(a, b, 1);
        assert.ok(ra.relayed.port > 0);
        assert.equal(a.client.lifetime, 6);
        const errors: TurnError[] = [];
        a.onError = (e) => errors.push(e);
        const gotB: string[] = [];
        b.onData = (_p, d) => gotB.push(Buffer.from(d).toString());
        // 10 s: past the 6 s lifetime, with refreshes at ~3 s intervals and 438s along the way.
        for (let i = 0; i < 20; i++) {
          a.sendTo(rb.relayed, Buffer.from(`late${i}`));
          await sleep(500);
          refreshed = a.client.lifetime;
        }
        assert.deepEqual(errors, []);
        assert.equal(a.state, 'allocated', `coturn log:\n${short.log().slice(-1500)}`);
        assert.equal(refreshed, 6);
        assert.ok(gotB.length >= 15, `data still relayed after the first lifetime: ${gotB.length}`);
        assert.ok(gotB.includes('late19'));
        assert.match(short.log(), /error 438/, 'coturn sent 438 Stale Nonce along the way');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }

  it('reports 486 at the quota, and close() deallocates so the next allocation succeeds', async () => {
    const first = connect(quota, 'udp');
    await first.allocate();
    const second = connect(quota, 'udp');
    await assert.rejects(second.allocate(), (err: unknown) => err instanceof TurnError && err.code === 486);
    await first.close();
    assert.equal(first.state, 'closed');
    // coturn frees the slot about a second after Refresh(0); without the deallocation it would stay taken
    // for the full 600 s lifetime.
    let third: TurnConnection | undefined;
    for (let attempt = 0; attempt < 20 && !third; attempt++) {
      const candidate = connect(quota, 'udp');
      try {
        await candidate.allocate();
        third = candidate;
      } catch (err) {
        assert.ok(err instanceof TurnError && err.code === 486, String(err));
        await candidate.close();
        await sleep(500);
      }
    }
    assert.ok(third, 'the quota slot was never freed: close() did not deallocate');
    assert.equal(third.relayedAddress?.address, LOCAL);
    await Promise.all([second.close(), third.close()]);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`follows 300 Try-Alternate over ${transport.toUpperCase()}`, async () => {
      const a = connect(redirector, transport);
      try {
        const { relayed } = await a.allocate();
        assert.equal(relayed.address, LOCAL);
        assert.equal(a.client.server.port, short.port, 'the allocation lives on the alternate server');
      } finally {
        await a.close();
      }
    });
  }
});

describe('TURN client against coturn on ::1', { skip }, () => {
  let v6: CoturnServer;
  before(async () => {
    v6 = await startCoturn({ ipv6: true });
  });
  after(async () => {
    await v6?.stop();
  });

  it('allocates an IPv6 relayed address (REQUESTED-ADDRESS-FAMILY) and relays both ways', async () => {
    const mk = () => connect(v6, 'udp', { relayFamily: 6, localAddress: '::1' });
    const a = mk();
    const b = mk();
    try {
      const [ra, rb] = await Promise.all([a.allocate(), b.allocate()]);
      assert.equal(ra.relayed.address, '::1');
      assert.equal(ra.mapped?.address, '::1');
      const gotB: string[] = [];
      const gotA: string[] = [];
      a.onData = (_p, d) => gotA.push(Buffer.from(d).toString());
      b.onData = (_p, d) => gotB.push(Buffer.from(d).toString());
      a.createPermission(rb.relayed);
      b.createPermission(ra.relayed);
      assert.ok(await until(() => a.client.hasPermission('::1') && b.client.hasPermission('::1')));
      for (let i = 0; i < 10; i++) {
        a.sendTo(rb.relayed, Buffer.from(`a${i}`));
        b.sendTo(ra.relayed, Buffer.from(`b${i}`));
        await sleep(10);
      }
      assert.ok(await until(() => gotA.length === 10 && gotB.length === 10), `${gotA.length} ${gotB.length}`);
      assert.equal(a.client.channelFor(rb.relayed), 0x4000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('TURN client when coturn goes away', { skip }, () => {
  it('reports 701 through onError when the TCP connection drops, and close() still resolves', async () => {
    const doomed = await startCoturn();
    const a = connect(doomed, 'tcp');
    const errors: TurnError[] = [];
    a.onError = (e) => errors.push(e);
    try {
      await a.allocate();
      await doomed.stop();
      assert.ok(await until(() => errors.length > 0, 10_000), 'no error after the server died');
      assert.equal(errors[0]!.code, 701);
      assert.equal(a.state, 'failed');
    } finally {
      await doomed.stop();
      await a.close();
    }
    assert.equal(a.state, 'closed');
  });
});
