/** datachannel-cli as two real child processes over each socket signaling (loopback only). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const CLI = join(import.meta.dirname, '../../src/cli/datachannel-cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'tsrtc-dc-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

async function pingPong(signaling: string[], extra: string[] = []): Promise<void> {
  // Answer first, as a user would; its dial retries until the offerer listens.
  const answer = run(['answer', ...signaling, '--loopback', ...extra]);
  const offer = await run(['offer', ...signaling, '--loopback', '--count', '3', ...extra]);
  const answered = await answer;
  assert.equal(offer.code, 0, `offer failed: ${offer.stderr}`);
  assert.equal(answered.code, 0, `answer failed: ${answered.stderr}`);
  const rtts = offer.stdout.match(/^ RTT \d+\.\d\d ms$/gm) ?? [];
  assert.equal(rtts.length, 3, offer.stdout);
  assert.match(offer.stdout, /^channel\(chat\) - created by local party$/m);
  const pings = [...offer.stdout.matchAll(/^channel\(chat\) > ping (\d+)$/gm)].map((m) => m[1]);
  assert.equal(pings.length, 3);
  assert.equal(pings[0], '0');
  for (const stamp of pings) {
    assert.ok(answered.stdout.includes(`channel(chat) < ping ${stamp}\n`), answered.stdout);
    assert.ok(answered.stdout.includes(`channel(chat) > pong ${stamp}\n`), answered.stdout);
    assert.ok(offer.stdout.includes(`channel(chat) < pong ${stamp}\n`), offer.stdout);
  }
  assert.match(answered.stdout, /^channel\(chat\) - created by remote party$/m);
  assert.match(answered.stdout, /^Exiting$/m);
}

describe('datachannel-cli offer/answer as two processes', () => {
  it('tcp-socket, non-trickle: 3 pings, 3 RTT lines, both exit 0', async () => {
    await pingPong(['-s', 'tcp-socket', '--signaling-port', String(await freePort())]);
  });

  it('unix-socket with --trickle', async () => {
    await pingPong(['-s', 'unix-socket', '--signaling-path', join(dir, 'cli.sock')], ['--trickle']);
  });

  it('websocket', async () => {
    await pingPong(['--signaling', 'websocket', '--signaling-port', String(await freePort())]);
  });

  it('refuses bad arguments with usage and exit code 2', async () => {
    for (const args of [[], ['sideways'], ['offer', '--count', '0'], ['offer', '-s', 'smoke-signals']]) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /usage: datachannel-cli/);
    }
  });
});
