/**
 * Starts a real coturn (`turnserver` from Debian) on 127.0.0.1 (or ::1) for interop tests: long-term credentials,
 * loopback peers allowed, UDP+TCP on one port and TLS on another with a throw-away self-signed
 * certificate. Ports are picked free at start; `stop()` kills the process and removes the temp dir.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CoturnOptions {
  username?: string;
  password?: string;
  realm?: string;
  /** Listen and relay on ::1 instead of 127.0.0.1. */
  ipv6?: boolean;
  /** Extra turnserver flags, e.g. ['--stale-nonce=2'] or ['--user-quota=1']. */
  extraArgs?: string[];
}

export interface CoturnServer {
  readonly address: string;
  /** UDP and TCP listening port. */
  readonly port: number;
  readonly tlsPort: number;
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  /** What the server printed (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export function findTurnserver(): string | undefined {
  for (const path of ['/usr/bin/turnserver', '/usr/local/bin/turnserver']) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why coturn tests cannot run, or undefined when they can. In CI a missing binary is a failure. */
export function coturnSkipReason(): string | undefined {
  if (findTurnserver()) return undefined;
  const message = 'coturn (turnserver) is not installed: apt-get install -y coturn';
  if (process.env.CI) throw new Error(message);
  return message;
}

/** A port free for both TCP and UDP on `host`. */
async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
    });
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    udp.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (ok) return port;
  }
  throw new Error('no free port for coturn');
}

async function waitForTcp(host: string, port: number, deadline: number, child: ChildProcess): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`turnserver did not open port ${port}`);
}

export async function startCoturn(options: CoturnOptions = {}): Promise<CoturnServer> {
  const binary = findTurnserver();
  if (!binary) throw new Error('turnserver not found');
  const username = options.username ?? 'tsrtc';
  const password = options.password ?? 'secret-pass';
  const realm = options.realm ?? 'tsrtc.test';
  const dir = mkdtempSync(join(tmpdir(), 'tsrtc-coturn-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ]),
    { stdio: 'ignore', timeout: 30_000 },
  );
  const address = options.ipv6 ? '::1' : '127.0.0.1';
  const port = await freePort(address);
  let tlsPort = await freePort(address);
  while (tlsPort === port) tlsPort = await freePort(address);
  const relayBase = 40_000 + Math.floor(Math.random() * 200) * 100;
  const args = [
    '-n',
    `--listening-ip=${address}`,
    `--relay-ip=${address}`,
    `--listening-port=${port}`,
    `--tls-listening-port=${tlsPort}`,
    `--min-port=${relayBase}`,
    `--max-port=${relayBase + 99}`,
    '--lt-cred-mech',
    `--user=${username}:${password}`,
    `--realm=${realm}`,
    '--fingerprint',
    '--allow-loopback-peers',
    '--no-cli',
    '--no-multicast-peers',
    '--no-dtls',
    `--cert=${cert}`,
    `--pkey=${key}`,
    `--pidfile=${join(dir, 'turn.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    '--log-file=stdout',
    '--simple-log',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 20_000;
    await waitForTcp(address, port, deadline, child);
    await waitForTcp(address, tlsPort, deadline, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return { address, port, tlsPort, username, password, realm, log: () => output, stop };
}
