/**
 * close() says goodbye: the peer of a TCP or Unix-socket signaling channel receives `{"type": "bye"}` (issue 10 g:
 * close() once set its closed flag before sending, the send failed and the error was swallowed, and aiortc's
 * examples then spun at 60 % CPU waiting). Proven against raw sockets and against aiortc's own
 * TcpSocketSignaling when aiortc is installed. Loopback only (run inside netns.sh).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type Signaling,
  TcpSocketSignaling,
  UnixSocketSignaling,
} from '../../src/contrib/signaling/index.js';
import { RTCSessionDescription } from '../../src/peerconnection/session-description.js';
import { tempDir } from './media-fixtures.js';

const { dir, cleanup } = tempDir('bye');
after(cleanup);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Everything a socket receives until it closes. */
function collect(socket: Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    text += d;
  });
  return new Promise((resolve) => socket.on('close', () => resolve(text)));
}

async function dialUntilUp(connectTo: () => Socket): Promise<Socket> {
  for (let i = 0; i < 100; i++) {
    const socket = connectTo();
    try {
      await once(socket, 'connect');
      return socket;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error('could not connect');
}

describe('socket signaling close() sends bye', () => {
  it('TCP, listening side: the dialing peer receives bye', async () => {
    const port = await freePort();
    const signaling = new TcpSocketSignaling('127.0.0.1', port, { role: 'server' });
    const serving = signaling.connect();
    const peer = await dialUntilUp(() => createConnection(port, '127.0.0.1'));
    await serving;
    const received = collect(peer);
    await signaling.close();
    assert.equal(await received, '{"type": "bye"}\n');
  });

  it('TCP, dialing side: the listening peer receives bye', async () => {
    const port = await freePort();
    const server: Server = createServer();
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const signaling = new TcpSocketSignaling('127.0.0.1', port, { role: 'client' });
    await signaling.connect();
    const [socket] = await accepted;
    const received = collect(socket);
    await signaling.close();
    assert.equal(await received, '{"type": "bye"}\n');
    server.close();
  });

  it('Unix socket: the peer receives bye', async () => {
    const path = join(dir, 'bye.sock');
    const signaling: Signaling = new UnixSocketSignaling(path, { role: 'server' });
    const serving = signaling.connect();
    const peer = await dialUntilUp(() => createConnection(path));
    await serving;
    const received = collect(peer);
    await signaling.close();
    assert.equal(await received, '{"type": "bye"}\n');
  });

  it('no bye after the peer said bye or went away, and close() twice sends one bye', async () => {
    const port = await freePort();
    const signaling = new TcpSocketSignaling('127.0.0.1', port, { role: 'server' });
    const serving = signaling.connect();
    const peer = await dialUntilUp(() => createConnection(port, '127.0.0.1'));
    await serving;
    const received = collect(peer);
    await Promise.all([signaling.close(), signaling.close()]);
    assert.equal(await received, '{"type": "bye"}\n');
  });

  it("aiortc's TcpSocketSignaling receives our bye (not the None of a dropped connection)", async (t) => {
    // aiortc 1.4 is installed for the system Python (a pyenv python3 may come first on PATH).
    const python3 =
      spawnSync('/usr/bin/python3', ['--version']).status === 0 ? '/usr/bin/python3' : 'python3';
    const probe = spawnSync(python3, ['-c', 'import aiortc.contrib.signaling'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('aiortc is not installed for python3');
      return;
    }
    const port = await freePort();
    // aiortc receives first, so it dials (its own rule); tsrtc sends first, so it listens.
    const script = `
import asyncio
from aiortc.contrib.signaling import BYE, TcpSocketSignaling
async def main():
    signaling = TcpSocketSignaling("127.0.0.1", ${port})
    for _ in range(100):
        try:
            first = await signaling.receive()
            break
        except ConnectionRefusedError:
            await asyncio.sleep(0.05)
    second = await signaling.receive()
    print(type(first).__name__, "BYE" if second is BYE else repr(second), flush=True)
    await signaling.close()
asyncio.run(main())
`;
    const python = spawn(python3, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    python.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    python.stderr.on('data', (d: Buffer) => {
      errors += d.toString();
    });
    const signaling = new TcpSocketSignaling('127.0.0.1', port);
    const timer = setTimeout(() => python.kill(), 20_000);
    try {
      await signaling.send(new RTCSessionDescription({ type: 'offer', sdp: 'v=0\r\n' }));
      await signaling.close();
      const [code] = (await once(python, 'exit')) as [number | null];
      assert.equal(code, 0, errors);
    } finally {
      clearTimeout(timer);
      python.kill();
      await signaling.close();
    }
    assert.equal(output.trim(), 'RTCSessionDescription BYE');
  });
});
