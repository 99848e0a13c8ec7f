/** datachannel-cli as two real child processes over each socket signaling (loopback only). */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/datachannel-cli.ts', import.meta.url));
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

  it('copy-and-paste: JSON lines carried between the two terminals by the test', async () => {
    const spawnPeer = (role: string) =>
      spawn(
        process.execPath,
        ['--import', 'tsx', CLI, role, '--loopback', ...(role === 'offer' ? ['--count', '2'] : [])],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, DEBUG: '' },
        },
      );
    const offer = spawnPeer('offer');
    const answer = spawnPeer('answer');
    const outputs = new Map<ChildProcessWithoutNullStreams, string>([
      [offer, ''],
      [answer, ''],
    ]);
    let carried = 0;
    // A peer that already exited may refuse the last BYE; that is not a failure.
    for (const child of [offer, answer]) child.stdin.on('error', () => undefined);
    // The "user": copies each JSON line one side prints into the other side's terminal.
    for (const [from, to] of [
      [offer, answer],
      [answer, offer],
    ] as const) {
      let partial = '';
      from.stdout.on('data', (d: Buffer) => {
        outputs.set(from, (outputs.get(from) ?? '') + d.toString());
        partial += d.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          carried++;
          if (to.stdin.writable) to.stdin.write(`${line}\n`);
        }
      });
    }
    const exited = (child: ChildProcessWithoutNullStreams) =>
      new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    const [offerCode, answerCode] = await Promise.all([exited(offer), exited(answer)]);
    assert.equal(offerCode, 0);
    assert.equal(answerCode, 0);
    const offerOut = outputs.get(offer) ?? '';
    assert.match(offerOut, /-- Please send this message to the remote party --/);
    assert.equal((offerOut.match(/^ RTT \d+\.\d\d ms$/gm) ?? []).length, 2, offerOut);
    assert.ok(carried >= 3, `offer, answer and bye carried (${carried})`);
    assert.match(outputs.get(answer) ?? '', /^Exiting$/m);
  });

  it('reports malformed signaling input on stderr, keeps going, and exits 0 on BYE', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'answer', '--loopback'], {
      stdio: ['pipe', 'pipe', 'pipe'],
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
    child.stdin.end(`garbage\n{"type": "offer"}\n${'{'.repeat(300_000)}\n{"type": "bye"}\n`);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /signaling: signaling message is not JSON: "garbage" \(ignored\)/);
    assert.match(stderr, /signaling: signaling offer has no "sdp" string \(ignored\)/);
    assert.match(stderr, /signaling: signaling message over 262144 bytes refused \(ignored\)/);
    assert.match(stdout, /^Exiting$/m);
  });

  it('refuses bad arguments with usage and exit code 2', async () => {
    for (const args of [[], ['sideways'], ['offer', '--count', '0'], ['offer', '-s', 'smoke-signals']]) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /usage: datachannel-cli/);
    }
  });
});
