/**
 * The sans-I/O ICE agent on the simulated network (no sockets: the agent's own cost only).
 *  - idle: CPU for one connected agent pair kept alive by consent checks for a simulated hour, against a bare
 *    StunMessage parse+serialize loop over the same number of messages measured in this run (ratio);
 *  - connect: time to a selected pair in simulated time at 0/10/30 % loss (median over seeds), against the
 *    link's round-trip time (ratio = how many round trips a connection costs), plus CPU per connection.
 *
 *   npm run bench -- ice-agent          (BENCH_RUNS=n sets the number of seeds, default 40)
 */
import { StunMethod } from '../src/stun/constants.js';
import { shortTermKey } from '../src/stun/integrity.js';
import { StunMessage } from '../src/stun/message.js';
import { connected, SimIcePeer, signal } from '../test/ice/sim-ice.js';
import { SimNetwork } from '../test/sim/network.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const HOUR = 3_600_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function connectPair(
  seed: number,
  loss: number,
): { net: SimNetwork; a: SimIcePeer; b: SimIcePeer; ok: boolean } {
  const net = new SimNetwork({ seed, conditions: { delay: 10, jitter: 5, loss } });
  const a = net.add(new SimIcePeer('a', ['203.0.113.101', '203.0.113.201'], { role: 'controlling', seed }));
  const b = net.add(
    new SimIcePeer('b', ['203.0.113.102', '203.0.113.202'], { role: 'controlled', seed: seed + 1 }),
  );
  a.addHostCandidates();
  b.addHostCandidates();
  signal(net, a, b);
  signal(net, b, a);
  const ok = net.runUntil(() => connected(a, b), 60_000);
  return { net, a, b, ok };
}

/** The reference: what parsing and serializing `count` authenticated Binding messages costs. */
function stunReference(count: number): number {
  const key = shortTermKey('reference-password-0123');
  const req = new StunMessage(StunMethod.Binding, 'request')
    .setUsername('abcd:efgh')
    .setPriority(1853824767)
    .setIceControlling(1n)
    .serialize({ integrityKey: key, fingerprint: true });
  const start = cpuMs();
  for (let i = 0; i < count; i++) {
    const m = StunMessage.parse(req);
    m.verifyIntegrity(key);
    m.createResponse('success')
      .setXorMappedAddress({ address: '203.0.113.101', port: 5000 })
      .serialize({ integrityKey: key, fingerprint: true });
  }
  return cpuMs() - start;
}

function idle(): void {
  // Warm up the code paths once.
  connectPair(1, 0).net.runFor(60_000);
  const { net, a, b } = connectPair(2, 0);
  const sentBefore = a.sentLog.length + b.sentLog.length;
  const start = cpuMs();
  net.runFor(HOUR);
  const agentCpu = cpuMs() - start;
  const messages = a.sentLog.length + b.sentLog.length - sentBefore;
  const stillConnected = connected(a, b);
  // Each datagram is built by one agent and parsed by the other: the reference does both per message.
  const referenceCpu = stunReference(messages);
  console.log(
    JSON.stringify({
      bench: 'ice-agent',
      name: 'idle connected pair, 1 simulated hour (consent checks)',
      cpuMs: Number(agentCpu.toFixed(2)),
      stunMessages: messages,
      stillConnected,
      reference: 'StunMessage parse+verify+respond loop, same message count',
      referenceCpuMs: Number(referenceCpu.toFixed(2)),
      ratio: Number((agentCpu / referenceCpu).toFixed(2)),
    }),
  );
}

function connect(loss: number): void {
  const times: number[] = [];
  const cpu: number[] = [];
  let failures = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = cpuMs();
    const { net, ok } = connectPair(1000 + run, loss);
    cpu.push(cpuMs() - start);
    if (ok) times.push(net.now);
    else failures++;
  }
  const rtt = 2 * (10 + 2.5);
  console.log(
    JSON.stringify({
      bench: 'ice-agent',
      name: `time to connect, ${loss * 100}% loss (simulated time)`,
      runs: RUNS,
      failures,
      medianMs: Number(median(times).toFixed(1)),
      maxMs: Number(Math.max(...times).toFixed(1)),
      cpuMsPerConnect: Number(median(cpu).toFixed(3)),
      reference: 'link round-trip time (2 × (10 ms delay + 2.5 ms mean jitter))',
      referenceMs: rtt,
      ratio: Number((median(times) / rtt).toFixed(2)),
    }),
  );
}

idle();
for (const loss of [0, 0.1, 0.3]) connect(loss);
