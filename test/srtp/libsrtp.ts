/** Builds and drives the libsrtp reference helper (test/srtp/native/srtp-tool.c) for interop tests and bench. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'native', 'srtp-tool.c');

/** Path of the compiled helper, or a reason it cannot be built. */
export function buildSrtpTool(): { path: string } | { missing: string } {
  if (!existsSync('/usr/include/srtp2/srtp.h'))
    return { missing: 'libsrtp2-dev (srtp2/srtp.h) is not installed' };
  const out = join(mkdtempSync(join(tmpdir(), 'tsrtc-srtp-')), 'srtp-tool');
  const r = spawnSync('gcc', ['-O2', '-o', out, SOURCE, '-lsrtp2'], { encoding: 'utf8' });
  if (r.error) return { missing: `gcc not runnable: ${r.error.message}` };
  if (r.status !== 0) throw new Error(`compiling srtp-tool failed:\n${r.stderr}`);
  return { path: out };
}

/** Run packets through libsrtp; undefined marks a packet libsrtp rejected. */
export function runSrtpTool(
  tool: string,
  op: 'protect' | 'unprotect',
  kind: 'rtp' | 'rtcp',
  profile: string,
  keyAndSalt: Uint8Array,
  packets: readonly Uint8Array[],
): (Uint8Array | undefined)[] {
  let total = 0;
  for (const p of packets) total += 4 + p.byteLength;
  const input = Buffer.alloc(total);
  let at = 0;
  for (const p of packets) {
    input.writeUInt32BE(p.byteLength, at);
    input.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  const r = spawnSync(tool, [op, kind, profile, Buffer.from(keyAndSalt).toString('hex')], {
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`srtp-tool exited ${r.status}: ${r.stderr?.toString()}`);
  const out: (Uint8Array | undefined)[] = [];
  const data = r.stdout;
  at = 0;
  while (at < data.byteLength) {
    const len = data.readUInt32BE(at);
    at += 4;
    if (len === 0xffffffff) out.push(undefined);
    else {
      out.push(new Uint8Array(data.subarray(at, at + len)));
      at += len;
    }
  }
  return out;
}
