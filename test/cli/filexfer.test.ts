/**
 * filexfer as two tsrtc processes (TCP and WebSocket signaling): the file arrives byte for byte, both sides print
 * its SHA-256 and aiortc's rate line; an empty file is an empty transfer; a receiver that vanishes mid-way is an
 * incomplete transfer (exit 1); bad arguments exit 2. The progress bar draws only on a terminal.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { formatBytes, mbps, ProgressBar } from '../../src/cli/progress.js';
import { tempDir } from '../contrib/media-fixtures.js';
import { freePort, startCli, waitForBytes } from './processes.js';

const { dir, cleanup } = tempDir('filexfer');
after(cleanup);

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

async function transfer(source: string, target: string, signaling: string[]) {
  const receive = startCli('filexfer', ['receive', target, ...signaling, '--loopback']);
  const sent = await startCli('filexfer', ['send', source, ...signaling, '--loopback']).finished;
  const received = await receive.finished;
  return { sent, received };
}

describe('filexfer, tsrtc to tsrtc', () => {
  it('tcp-socket: 8 MiB arrive intact; both print the SHA-256 and the rate', async () => {
    const source = join(dir, 'big.bin');
    writeFileSync(source, randomBytes(8 * 1024 * 1024 + 7));
    const target = join(dir, 'big.out');
    const signaling = ['-s', 'tcp-socket', '--signaling-port', String(await freePort())];
    const { sent, received } = await transfer(source, target, signaling);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    const digest = sha256(source);
    assert.equal(sha256(target), digest);
    assert.match(received.stdout, /^received 8388615 bytes in \d+\.\d s \(\d+\.\d{3} Mbps\)$/m);
    assert.match(received.stdout, new RegExp(`^sha-256 ${digest}$`, 'm'));
    assert.match(sent.stdout, /^sent 8388615 bytes in \d+\.\d s \(\d+\.\d{3} Mbps\)$/m);
    assert.match(sent.stdout, new RegExp(`^sha-256 ${digest}$`, 'm'));
    assert.equal(sent.stderr, '', 'no progress bar when stderr is not a terminal');
  });

  it('websocket: an empty file is an empty transfer', async () => {
    const source = join(dir, 'empty.bin');
    writeFileSync(source, '');
    const target = join(dir, 'empty.out');
    const signaling = ['-s', 'websocket', '--signaling-port', String(await freePort())];
    const { sent, received } = await transfer(source, target, signaling);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(readFileSync(target).byteLength, 0);
    assert.match(received.stdout, /^received 0 bytes in /m);
  });

  it('a receiver interrupted mid-way: the sender reports an incomplete transfer and exits 1', async () => {
    const source = join(dir, 'huge.bin');
    writeFileSync(source, randomBytes(64 * 1024 * 1024));
    const signaling = ['-s', 'tcp-socket', '--signaling-port', String(await freePort()), '--loopback'];
    const target = join(dir, 'huge.out');
    const receive = startCli('filexfer', ['receive', target, ...signaling]);
    const send = startCli('filexfer', ['send', source, ...signaling]);
    // Stop the receiver once data flows (1 MiB of 64 written).
    await waitForBytes([target], 1024 * 1024);
    receive.interrupt();
    const [sent, received] = await Promise.all([send.finished, receive.finished]);
    assert.equal(received.code, 130);
    assert.equal(sent.code, 1, sent.stdout);
    assert.match(sent.stderr, /the transfer ended early after \d+ bytes/);
  });

  it('bad arguments exit 2; a missing file exits 1 naming it', async () => {
    for (const args of [[], ['send'], ['copy', 'x'], ['send', 'a', 'b']]) {
      const run = await startCli('filexfer', args).finished;
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /usage: filexfer/);
    }
    const missing = await startCli('filexfer', ['send', join(dir, 'nothing.bin')]).finished;
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing\.bin/);
  });
});

describe('ProgressBar', () => {
  it('renders share, bytes and rate; draws only on a terminal', () => {
    const bar = new ProgressBar(Object.assign(new PassThrough(), { isTTY: true }) as never, 4 * 1024 * 1024);
    assert.equal(
      bar.render(1024 * 1024, 1),
      `[########----------------------]  25.0%  1.0 MiB of 4.0 MiB  8.4 Mbps`,
    );
    const unknown = new ProgressBar(Object.assign(new PassThrough(), { isTTY: true }) as never, undefined);
    assert.equal(unknown.render(1536, 2), '1.5 KiB  0.0 Mbps');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.00 GiB');
    assert.equal(mbps(1_000_000, 8), 1);

    const out = new PassThrough();
    let written = '';
    out.on('data', (d: Buffer) => {
      written += d.toString();
    });
    const drawn = new ProgressBar(Object.assign(out, { isTTY: true }) as never, 100);
    drawn.update(50, true);
    drawn.finish(100);
    assert.match(written, /^\r\[#{15}-{15}\] {2}50\.0%/);
    assert.match(written, /100\.0%.*\n$/s);
    const piped = new PassThrough();
    const silent = new ProgressBar(piped as never, 100);
    silent.update(50, true);
    silent.finish(100);
    assert.equal(piped.read(), null);
  });
});
