/**
 * TURN client costs. (1) The sans-I/O engine: packets per second through sendTo → ChannelData and
 * ChannelData → 'data' event, and through Send/Data indications, against a bare copy of the same bytes into
 * a fresh buffer (the least any framing must do) measured in the same run. (2) Through a real coturn on
 * 127.0.0.1 when `turnserver` is installed: relay round trip and windowed throughput between two
 * allocations, against the same traffic between two plain UDP sockets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { encodeChannelData } from '../src/ice/turn/channel-data.js';
import { TurnClient } from '../src/ice/turn/client.js';
import { TurnConnection } from '../src/net/turn-connection.js';
import { longTermKey } from '../src/stun/integrity.js';
import { StunMessage } from '../src/stun/message.js';
import { coturnSkipReason, startCoturn } from '../test/interop/coturn.js';

const PACKETS = Number(process.env.BENCH_PACKETS ?? 200_000);
const PAYLOAD = new Uint8Array(1200).fill(0xab);
const PEER = { address: '127.0.0.1', port: 50001 };

function allocated(useChannels: boolean): TurnClient {
  const client = new TurnClient({
    server: { address: '127.0.0.1', port: 3478 },
    transport: 'udp',
    username: 'u',
    credential: 'p',
    useChannels,
  });
  client.allocate(0);
  const first = StunMessage.parse(client.pollTransmit()!.data);
  client.handleInput(
    1,
    first.createResponse('error').setErrorCode(401).setRealm('r').setNonce('n').serialize(),
  );
  const ok = StunMessage.parse(client.pollTransmit()!.data)
    .createResponse('success')
    .setXorRelayedAddress({ address: '127.0.0.1', port: 50000 })
    .setLifetime(600);
  client.handleInput(2, ok.serialize({ integrityKey: longTermKey('u', 'r', 'p') }));
  // Grant the permission and (when used) the channel by answering whatever the client asks.
  client.sendTo(3, PEER, PAYLOAD);
  for (let i = 0; i < 4; i++) {
    for (let t = client.pollTransmit(); t; t = client.pollTransmit()) {
      const msg = StunMessage.tryParse(t.data);
      if (msg?.messageClass === 'request') {
        client.handleInput(
          4,
          msg.createResponse('success').serialize({ integrityKey: longTermKey('u', 'r', 'p') }),
        );
      }
    }
  }
  while (client.pollEvent());
  return client;
}

function engineRate(useChannels: boolean): { sendPps: number; recvPps: number } {
  const client = allocated(useChannels);
  let t0 = performance.now();
  for (let i = 0; i < PACKETS; i++) {
    client.sendTo(10, PEER, PAYLOAD);
    client.pollTransmit();
  }
  const sendMs = performance.now() - t0;
  const inbound = useChannels
    ? encodeChannelData(0x4000, PAYLOAD, false)
    : new StunMessage(0x007, 'indication').setXorPeerAddress(PEER).setData(PAYLOAD).serialize();
  t0 = performance.now();
  for (let i = 0; i < PACKETS; i++) {
    client.handleInput(10, inbound);
    client.pollEvent();
  }
  const recvMs = performance.now() - t0;
  return { sendPps: PACKETS / (sendMs / 1000), recvPps: PACKETS / (recvMs / 1000) };
}

function copyRate(): number {
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < PACKETS; i++) {
    const out = new Uint8Array(4 + PAYLOAD.byteLength);
    out.set(PAYLOAD, 4);
    sink += out[5]!;
  }
  if (sink < 0) console.log(sink);
  return PACKETS / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Round trips and a windowed one-way stream between two endpoints that echo/count what they get. */
async function measurePath(
  send: (side: 0 | 1, data: Uint8Array) => void,
  onReceive: (side: 0 | 1, fn: (data: Uint8Array) => void) => void,
): Promise<{ rttMs: number; mbps: number }> {
  let received = 0;
  let pong: (() => void) | undefined;
  let waiting: (() => void) | undefined;
  onReceive(1, (d) => {
    if (d[0] === 1) {
      send(1, d); // echo pings
      return;
    }
    received++;
    waiting?.();
  });
  onReceive(0, () => pong?.());
  const rtts: number[] = [];
  const ping = new Uint8Array(100).fill(1);
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      pong = resolve;
      send(0, ping);
    });
    rtts.push(performance.now() - t0);
  }
  const chunk = new Uint8Array(1000);
  const total = 20_000;
  const t0 = performance.now();
  // A window of 64 datagrams in flight; a datagram lost for good is forgiven after 200 ms.
  let forgiven = 0;
  for (let sent = 0; sent < total; ) {
    for (let i = 0; i < 64 && sent < total; i++, sent++) send(0, chunk);
    const target = sent - 16 - forgiven;
    const deadline = performance.now() + 200;
    while (received < target && performance.now() < deadline) {
      await new Promise<void>((r) => {
        waiting = r;
        setTimeout(r, 5);
      });
    }
    if (received < target) forgiven += target - received;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (process.env.BENCH_DEBUG) console.error({ received, total, seconds });
  return { rttMs: median(rtts), mbps: (received * chunk.byteLength) / 1e6 / seconds };
}

async function plainUdp(): Promise<{ rttMs: number; mbps: number }> {
  const socks: Socket[] = [createSocket('udp4'), createSocket('udp4')];
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', r))));
  const result = await measurePath(
    (side, data) => socks[side]!.send(data, socks[1 - side]!.address().port, '127.0.0.1'),
    (side, fn) => socks[side]!.on('message', (m) => fn(m)),
  );
  for (const s of socks) s.close();
  return result;
}

async function throughCoturn(): Promise<{ rttMs: number; mbps: number } | undefined> {
  if (coturnSkipReason()) return undefined;
  const turn = await startCoturn();
  try {
    const mk = () =>
      new TurnConnection({
        server: { address: turn.address, port: turn.port },
        transport: 'udp',
        username: turn.username,
        credential: turn.password,
        localAddress: '127.0.0.1',
      });
    const conns = [mk(), mk()];
    const relayed = await Promise.all(conns.map((c) => c.allocate()));
    conns[0]!.createPermission(relayed[1]!.relayed);
    conns[1]!.createPermission(relayed[0]!.relayed);
    await new Promise((r) => setTimeout(r, 200));
    const result = await measurePath(
      (side, data) => conns[side]!.sendTo(relayed[1 - side]!.relayed, data),
      (side, fn) => {
        conns[side]!.onData = (_peer, data) => fn(data);
      },
    );
    await Promise.all(conns.map((c) => c.close()));
    return result;
  } finally {
    await turn.stop();
  }
}

async function main(): Promise<void> {
  const copy = copyRate();
  for (const useChannels of [true, false]) {
    const r = engineRate(useChannels);
    console.log(
      JSON.stringify({
        bench: useChannels ? 'turn.engine_channeldata' : 'turn.engine_indications',
        packets: PACKETS,
        payload_bytes: PAYLOAD.byteLength,
        send_pps: Math.round(r.sendPps),
        recv_pps: Math.round(r.recvPps),
        reference: 'copy_into_fresh_buffer_pps',
        reference_pps: Math.round(copy),
        send_ratio: +(r.sendPps / copy).toFixed(3),
        recv_ratio: +(r.recvPps / copy).toFixed(3),
      }),
    );
  }
  const direct = await plainUdp();
  const relay = await throughCoturn();
  if (!relay) {
    console.log(
      JSON.stringify({ bench: 'turn.coturn_relay_udp', skipped: coturnSkipReason() ?? 'no coturn' }),
    );
    return;
  }
  console.log(
    JSON.stringify({
      bench: 'turn.coturn_relay_udp',
      rtt_median_ms: +relay.rttMs.toFixed(3),
      throughput_mb_s: +relay.mbps.toFixed(1),
      reference: 'plain_udp_loopback',
      reference_rtt_ms: +direct.rttMs.toFixed(3),
      reference_mb_s: +direct.mbps.toFixed(1),
      rtt_ratio: +(relay.rttMs / direct.rttMs).toFixed(2),
      throughput_ratio: +(relay.mbps / direct.mbps).toFixed(3),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
