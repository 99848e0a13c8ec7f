/** Runs `openssl s_server` / `s_client` in DTLS 1.2 mode as a reference peer (test helper). */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RTCCertificate } from '../../src/dtls/certificate.js';

export function opensslAvailable(): boolean {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 && /OpenSSL 3/.test(r.stdout);
}

/** The openssl CLI name of each of our suites and SRTP profiles. */
export const OPENSSL_CIPHER: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
};

export const OPENSSL_SRTP: Record<string, string> = {
  SRTP_AEAD_AES_128_GCM: 'SRTP_AEAD_AES_128_GCM',
  SRTP_AEAD_AES_256_GCM: 'SRTP_AEAD_AES_256_GCM',
  SRTP_AES128_CM_HMAC_SHA1_80: 'SRTP_AES128_CM_SHA1_80',
  SRTP_AES128_CM_HMAC_SHA1_32: 'SRTP_AES128_CM_SHA1_32',
};

export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export class OpensslPeer {
  output = '';
  exited = false;
  private readonly dir: string;
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiters = new Set<() => void>();

  constructor(
    mode: 's_server' | 's_client',
    port: number,
    certificate: RTCCertificate,
    extra: readonly string[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'tsrtc-openssl-'));
    const pem = certificate.toPem();
    writeFileSync(join(this.dir, 'cert.pem'), pem.certificate);
    writeFileSync(join(this.dir, 'key.pem'), pem.privateKey);
    const endpoint =
      mode === 's_server'
        ? ['-accept', `127.0.0.1:${port}`, '-Verify', '1']
        : ['-connect', `127.0.0.1:${port}`];
    const args = [mode, '-dtls1_2', ...endpoint, '-cert', 'cert.pem', '-key', 'key.pem', ...extra];
    this.proc = spawn('openssl', args, { cwd: this.dir });
    const onData = (d: Buffer) => {
      this.output += d.toString('latin1');
      for (const w of this.waiters) w();
    };
    this.proc.stdout.on('data', onData);
    this.proc.stderr.on('data', onData);
    this.proc.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters) w();
    });
  }

  /** Resolve with the first match of `pattern` in the output; reject after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.output.match(pattern);
        if (m) {
          cleanup();
          resolve(m);
        } else if (this.exited) {
          cleanup();
          reject(new Error(`openssl exited before ${pattern}: ${this.output.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${pattern}: ${this.output.slice(-2000)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The exported keying material openssl printed (-keymatexport), as bytes. */
  async keyingMaterial(): Promise<Buffer> {
    const m = await this.waitFor(/Keying material: ([0-9A-F]+)/);
    return Buffer.from(m[1]!, 'hex');
  }

  write(text: string): void {
    this.proc.stdin.write(text);
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      this.proc.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.proc.kill('SIGKILL');
          resolve();
        }, 3000);
        this.proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        if (this.exited) resolve();
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
