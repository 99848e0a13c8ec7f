/**
 * UdpDatagramTransport's send errors: a datagram the kernel refuses (over UDP's 65,507-byte bound) or a send
 * node:dgram refuses at once (port 0) is counted in `sendErrors` and dropped; nothing throws out of send(),
 * nothing reaches the process as an uncaught exception, and the transport goes on sending. Loopback only.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { describe, it } from 'node:test';
import { UdpDatagramTransport } from '../../src/net/udp-datagram-transport.js';

/** A plain node:dgram peer on 127.0.0.1 and a promise of the next datagram it receives. */
async function peer(): Promise<{ socket: Socket; port: number; next: () => Promise<Buffer> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const next = (): Promise<Buffer> => new Promise((resolve) => socket.once('message', (d) => resolve(d)));
  return { socket, port: socket.address().port, next };
}

/** Watches the process for an uncaught exception while the test runs. */
function watchUncaught(): { errors: unknown[]; stop: () => void } {
  const errors: unknown[] = [];
  const onUncaught = (error: unknown): void => {
    errors.push(error);
  };
  process.on('uncaughtException', onUncaught);
  return { errors, stop: () => process.off('uncaughtException', onUncaught) };
}

describe('UdpDatagramTransport send errors', () => {
  it('counts and drops an oversized datagram (EMSGSIZE); the next datagram still arrives', async () => {
    const receiver = await peer();
    const transport = await UdpDatagramTransport.create({
      remote: { address: '127.0.0.1', port: receiver.port },
    });
    const uncaught = watchUncaught();
    try {
      const arrived = receiver.next();
      transport.send(new Uint8Array(65_508)); // one byte over what IPv4 UDP carries
      // The refused send's callback is queued before this send returns; the datagram below arrives later.
      transport.send(new Uint8Array([1, 2, 3]));
      assert.deepEqual([...(await arrived)], [1, 2, 3]);
      assert.equal(transport.sendErrors, 1);
      assert.deepEqual(uncaught.errors, []);
      assert.equal(transport.state, 'connected');
    } finally {
      uncaught.stop();
      transport.close();
      receiver.socket.close();
    }
  });

  it('counts a send node:dgram refuses synchronously (port 0) instead of throwing out of send()', async () => {
    const transport = await UdpDatagramTransport.create({ remote: { address: '127.0.0.1', port: 0 } });
    try {
      assert.doesNotThrow(() => transport.send(new Uint8Array([1])));
      assert.equal(transport.sendErrors, 1);
    } finally {
      transport.close();
    }
  });
});
