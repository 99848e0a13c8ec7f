/**
 * SRTP protect/unprotect packets per second for every profile at 160- and 1,200-byte payloads, side by side
 * with libsrtp 2 (the C helper in test/srtp/native) measured in the same run, on both engines: the native
 * addon (when built; in this process) and the TypeScript path (a child process with TSRTC_NATIVE=0).
 * Prints one JSON line per result: `ratio` against libsrtp, and for native `vsTypescript`.
 * Usage: npm run bench -- srtp   (SRTP_BENCH_PACKETS, SRTP_BENCH_ROUNDS to change
 * the packet count and the number of alternating rounds; the best round of each side is reported;
 * SRTP_BENCH_PROFILES=AEAD_AES_128_GCM,… and SRTP_BENCH_PAYLOADS=1200 to run a subset)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '../src/common/native.js';
import { RtpPacket } from '../src/rtp/packet.js';
import { SRTP_PROFILES, type SrtpProfileName, SrtpSession } from '../src/srtp/index.js';
import { buildSrtpTool } from '../test/srtp/libsrtp.js';

const PACKETS = Number(process.env.SRTP_BENCH_PACKETS ?? 200_000);
const BATCH = 1024;
const ROUNDS = Number(process.env.SRTP_BENCH_ROUNDS ?? 3);

function keyBytes(n: number, start: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + start) & 0xff);
}

function measure(profile: SrtpProfileName, payload: number): { protect: number; unprotect: number } {
  const p = SRTP_PROFILES[profile];
  const key = keyBytes(p.masterKeyLength, 1);
  const salt = keyBytes(p.masterSaltLength, 2);
  const session = new SrtpSession({
    profile,
    localMasterKey: key,
    localMasterSalt: salt,
    remoteMasterKey: key,
    remoteMasterSalt: salt,
  });
  const template = new RtpPacket({
    payloadType: 96,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0x11223344,
    payload: new Uint8Array(payload).fill(0xab),
  }).serialize();
  const batch: Uint8Array[] = new Array(BATCH);
  let protectNs = 0n;
  let unprotectNs = 0n;
  let seq = 1;
  for (let done = 0; done < PACKETS; done += BATCH) {
    const n = Math.min(BATCH, PACKETS - done);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      template[2] = (seq >> 8) & 0xff;
      template[3] = seq & 0xff;
      seq = (seq + 1) & 0xffff;
      batch[i] = session.protectRtp(template);
    }
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (!session.unprotectRtp(batch[i]!)) throw new Error('unprotect failed in benchmark');
    }
    const t2 = process.hrtime.bigint();
    protectNs += t1 - t0;
    unprotectNs += t2 - t1;
  }
  return { protect: PACKETS / (Number(protectNs) / 1e9), unprotect: PACKETS / (Number(unprotectNs) / 1e9) };
}

function libsrtp(tool: string, profile: string, payload: number): Rates {
  const r = spawnSync(tool, ['bench', profile, String(payload), String(PACKETS)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`libsrtp bench failed: ${r.stderr}`);
  const out = { protect: 0, unprotect: 0 };
  for (const line of r.stdout.trim().split('\n')) {
    const j = JSON.parse(line) as { op: 'protect' | 'unprotect'; pps: number };
    out[j.op] = j.pps;
  }
  return out;
}

type Rates = { protect: number; unprotect: number };

/** One warmed-up round of the TypeScript path, measured in a child process with TSRTC_NATIVE=0. */
function typescriptRound(profile: SrtpProfileName, payload: number): Rates {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    encoding: 'utf8',
    env: { ...process.env, TSRTC_NATIVE: '0', SRTP_BENCH_CHILD: `${profile},${payload}` },
  });
  if (r.status !== 0) throw new Error(`TypeScript-path child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Rates;
}

function best(into: Rates, r: Rates): void {
  into.protect = Math.max(into.protect, r.protect);
  into.unprotect = Math.max(into.unprotect, r.unprotect);
}

const child = process.env.SRTP_BENCH_CHILD;
if (child) {
  const [profile, payload] = child.split(',') as [SrtpProfileName, string];
  measure(profile, Number(payload)); // warm-up
  console.log(JSON.stringify(measure(profile, Number(payload))));
  process.exit(0);
}

const built = buildSrtpTool();
const tool = 'path' in built ? built.path : undefined;
if (!tool)
  console.error(
    `libsrtp reference unavailable (${'missing' in built ? built.missing : ''}); printing tsrtc only`,
  );
const native = nativeStatus().loaded;

const profiles = (process.env.SRTP_BENCH_PROFILES?.split(',') ??
  Object.keys(SRTP_PROFILES)) as SrtpProfileName[];
const payloads = (process.env.SRTP_BENCH_PAYLOADS ?? '160,1200').split(',').map(Number);
for (const profile of profiles) {
  for (const payload of payloads) {
    measure(profile, payload); // warm-up: JIT and crypto contexts
    // best of ROUNDS, alternating with libsrtp, so a busy shared machine skews both sides alike
    const here: Rates = { protect: 0, unprotect: 0 };
    const ts: Rates = { protect: 0, unprotect: 0 };
    const ref: Rates | undefined = tool ? { protect: 0, unprotect: 0 } : undefined;
    for (let round = 0; round < ROUNDS; round++) {
      best(here, measure(profile, payload));
      if (native) best(ts, typescriptRound(profile, payload));
      if (tool && ref) best(ref, libsrtp(tool, profile, payload));
    }
    const results: [string, Rates][] = native
      ? [
          ['native', here],
          ['typescript', ts],
        ]
      : [['typescript', here]];
    for (const [engine, ours] of results) {
      for (const op of ['protect', 'unprotect'] as const) {
        console.log(
          JSON.stringify({
            bench: 'srtp',
            op,
            profile,
            payload,
            engine,
            packets: PACKETS,
            pps: Math.round(ours[op]),
            libsrtpPps: ref ? Math.round(ref[op]) : null,
            ratio: ref ? Number((ours[op] / ref[op]).toFixed(2)) : null,
            ...(engine === 'native' ? { vsTypescript: Number((ours[op] / ts[op]).toFixed(2)) } : {}),
          }),
        );
      }
    }
  }
}
