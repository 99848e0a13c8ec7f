/**
 * SCTP engine benchmark, one JSON line per result:
 *  - `virtual-transfer`: 32 MiB over the simulated network (virtual time) between endpoints that read a
 *    burst of up to 32 datagrams and then flush, as the Node runtime does; against the limit the 1 MiB
 *    receive window sets (one window per round trip). `ratio` = limit / measured (1.0 = at the limit).
 *  - `engine-throughput`: wall-clock MB/s of two associations passing packets in memory (no DTLS, no
 *    sockets, zero checksums as over DTLS), against copying the same bytes twice (into the packet, and
 *    joining fragments on reassembly: the copies the engine cannot avoid). `ratio` = ours / copy floor.
 * Usage: npm run bench -- sctp   (SCTP_BENCH_MB to change the wall-clock volume)
 */
import { Association } from '../src/sctp/association.js';
import { connect, makePair } from '../test/sctp/harness.js';

const MiB = 1024 * 1024;
const VOLUME = Number(process.env.SCTP_BENCH_MB ?? 64) * MiB;

function emit(result: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: 'sctp', ...result }));
}

function virtualTransfer(rttMs: number, total: number): number {
  const { net, client, server } = makePair({ delay: rttMs / 2 }, 11);
  client.readBurst = 32;
  server.readBurst = 32;
  if (!connect(net, client, server)) throw new Error('no association');
  const message = new Uint8Array(64 * 1024);
  const count = total / message.byteLength;
  let queued = 0;
  const feed = () => {
    while (queued < count && client.assoc.bufferedAmount(0) < 4 * MiB) {
      client.assoc.send(net.now, 0, 53, message);
      queued++;
    }
  };
  const start = net.now;
  feed();
  if (
    !net.runUntil(() => {
      feed();
      return server.messages.length >= count;
    }, 600_000)
  )
    throw new Error('transfer did not finish');
  return net.now - start;
}

/** Two associations wired back to back in memory; returns MB/s for `total` bytes in `size`-byte messages. */
function engineThroughput(size: number, total: number): number {
  const options = { zeroChecksum: true };
  const a = new Association(options);
  const b = new Association(options);
  let now = 0;
  const pump = (): boolean => {
    let moved = false;
    for (let p = a.pollTransmit(); p; p = a.pollTransmit()) {
      b.handleInput(now, p);
      moved = true;
    }
    for (let p = b.pollTransmit(); p; p = b.pollTransmit()) {
      a.handleInput(now, p);
      moved = true;
    }
    return moved;
  };
  a.connect(now);
  b.connect(now);
  for (let i = 0; i < 20 && pump(); i++);
  let received = 0;
  const message = new Uint8Array(size).fill(3);
  const count = Math.ceil(total / size);
  let sent = 0;
  const t0 = performance.now();
  while (received < count * size) {
    while (sent < count && a.bufferedAmount(0) < 4 * MiB) {
      a.send(now, 0, 53, message);
      sent++;
    }
    pump();
    for (let e = b.pollEvent(); e; e = b.pollEvent()) if (e.type === 'message') received += e.data.byteLength;
    while (a.pollEvent());
    now += 0.01;
    if (a.pollTimeout() !== undefined && a.pollTimeout()! <= now) a.handleTimeout(now);
    if (b.pollTimeout() !== undefined && b.pollTimeout()! <= now) b.handleTimeout(now);
  }
  return received / MiB / ((performance.now() - t0) / 1000);
}

/** Copy `total` bytes twice (into 1,100-byte packet payloads and back into messages): the copy floor. */
function copyFloor(size: number, total: number): number {
  const src = new Uint8Array(size).fill(1);
  const mid = new Uint8Array(size);
  const wire = new Uint8Array(1200);
  const t0 = performance.now();
  for (let done = 0; done < total; done += size) {
    mid.set(src);
    for (let at = 0; at < size; at += 1100) wire.set(mid.subarray(at, Math.min(size, at + 1100)), 28);
  }
  return total / MiB / ((performance.now() - t0) / 1000);
}

for (const rtt of [20, 100]) {
  const total = 32 * MiB;
  const ms = virtualTransfer(rtt, total);
  const limit = (total / MiB) * rtt; // one 1 MiB window per round trip
  emit({
    case: 'virtual-transfer',
    rttMs: rtt,
    bytes: total,
    virtualMs: Math.round(ms),
    reference: 'receive-window limit (1 MiB per RTT)',
    referenceMs: limit,
    ratio: Number((limit / ms).toFixed(2)),
  });
}

for (const size of [100, 16 * 1024, 64 * 1024]) {
  const volume = size === 100 ? VOLUME / 16 : VOLUME;
  engineThroughput(size, volume / 8); // warm-up
  let ours = 0;
  let floor = 0;
  for (let r = 0; r < 3; r++) {
    ours = Math.max(ours, engineThroughput(size, volume));
    floor = Math.max(floor, copyFloor(size, volume));
  }
  emit({
    case: 'engine-throughput',
    messageSize: size,
    MBps: Number(ours.toFixed(1)),
    reference: 'copying the bytes twice (packet write + reassembly join)',
    referenceMBps: Number(floor.toFixed(1)),
    ratio: Number((ours / floor).toFixed(3)),
  });
}
