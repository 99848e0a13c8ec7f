/**
 * ICE on loopback: time from start() to a selected pair between two of our transports (median over many
 * runs), against the median raw UDP round trip on the same loopback in the same run (the ratio says how
 * many round trips our checks cost); and the CPU cost of idle connected transports (consent checks).
 */
import { createSocket } from 'node:dgram';
import { RTCIceGatherer } from '../src/ice/gatherer.js';
import { RTCIceTransport } from '../src/ice/transport.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function udpRoundTrip(): Promise<number> {
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  await Promise.all([
    new Promise<void>((r) => a.bind(0, '127.0.0.1', r)),
    new Promise<void>((r) => b.bind(0, '127.0.0.1', r)),
  ]);
  b.on('message', (m, rinfo) => b.send(m, rinfo.port, rinfo.address));
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      a.once('message', () => resolve());
      a.send(Buffer.alloc(100), b.address().port, '127.0.0.1');
    });
    times.push(performance.now() - t0);
  }
  a.close();
  b.close();
  return median(times);
}

async function connectOnce(): Promise<{ ms: number; t1: RTCIceTransport; t2: RTCIceTransport }> {
  const g1 = new RTCIceGatherer({ loopbackOnly: true, ipv6: false });
  const g2 = new RTCIceGatherer({ loopbackOnly: true, ipv6: false });
  await Promise.all([g1.gather(), g2.gather()]);
  const t1 = new RTCIceTransport(g1);
  const t2 = new RTCIceTransport(g2);
  t1.role = 'controlling';
  t2.role = 'controlled';
  for (const c of g2.getLocalCandidates()) t1.addRemoteCandidate(c);
  for (const c of g1.getLocalCandidates()) t2.addRemoteCandidate(c);
  const t0 = performance.now();
  await Promise.all([t1.start(g2.getLocalParameters()), t2.start(g1.getLocalParameters())]);
  return { ms: performance.now() - t0, t1, t2 };
}

async function main(): Promise<void> {
  const rtt = await udpRoundTrip();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, t1, t2 } = await connectOnce();
    times.push(ms);
    await Promise.all([t1.stop(), t2.stop()]);
  }
  const connect = median(times);
  console.log(
    JSON.stringify({
      bench: 'ice.connect_loopback',
      runs: RUNS,
      median_ms: +connect.toFixed(3),
      p90_ms: +[...times].sort((a, b) => a - b)[Math.floor(times.length * 0.9)]!.toFixed(3),
      reference: 'udp_round_trip_median_ms',
      reference_ms: +rtt.toFixed(4),
      ratio: +(connect / rtt).toFixed(1),
    }),
  );

  // Idle cost: N connected pairs for a while; CPU used by the process beyond an idle baseline of equal length.
  const PAIRS = 10;
  const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 6);
  const baseStart = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const base = process.cpuUsage(baseStart);
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) pairs.push(await connectOnce());
  const start = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const used = process.cpuUsage(start);
  const cpuUs = used.user + used.system - (base.user + base.system);
  console.log(
    JSON.stringify({
      bench: 'ice.idle_cpu',
      pairs: PAIRS,
      seconds: SECONDS,
      cpu_us_per_transport_per_s: +(Math.max(0, cpuUs) / (PAIRS * 2) / SECONDS).toFixed(2),
      reference: 'idle_process_cpu_us_per_s',
      reference_value: +((base.user + base.system) / SECONDS).toFixed(2),
      all_connected: pairs.every((p) => p.t1.state === 'connected' || p.t1.state === 'completed'),
    }),
  );
  await Promise.all(pairs.flatMap((p) => [p.t1.stop(), p.t2.stop()]));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
