/**
 * datachannel-cli against other stacks: the CLI runs as a child process and the other side is
 * node-datachannel, @roamhq/wrtc or werift in this process, speaking aiortc's JSON over TcpSocketSignaling.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SignalingBye, SignalingError, TcpSocketSignaling } from '../../src/contrib/signaling/index.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { RTCSessionDescription } from '../../src/peerconnection/session-description.js';
import {
  NODE_DATACHANNEL,
  type PeerFactory,
  ROAMHQ_WRTC,
  type W3cChannel,
  type W3cPeer,
  WERIFT,
} from '../interop/w3c-peers.js';

const CLI = fileURLToPath(new URL('../../src/cli/datachannel-cli.ts', import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
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

function gathered(pc: W3cPeer): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
    check();
  });
}

/** What aiortc's datachannel-cli answer does, with a foreign W3C peer: answer, reply pong, stop on BYE. */
async function foreignAnswer(pc: W3cPeer, signaling: TcpSocketSignaling): Promise<number> {
  let pongs = 0;
  pc.addEventListener('datachannel', (e: { channel: W3cChannel }) => {
    const channel = e.channel;
    channel.addEventListener('message', (m: { data: unknown }) => {
      if (typeof m.data === 'string' && m.data.startsWith('ping')) {
        channel.send(`pong${m.data.slice(4)}`);
        pongs++;
      }
    });
  });
  for (;;) {
    const obj = await signaling.receive().catch((e: unknown) => {
      if (e instanceof SignalingError) throw new Error(`the CLI sent a bad message: ${e.message}`);
      throw e;
    });
    if (obj instanceof SignalingBye) return pongs;
    if (obj instanceof RTCSessionDescription) {
      await pc.setRemoteDescription({ type: obj.type, sdp: obj.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await gathered(pc);
      const local = pc.localDescription;
      assert.ok(local);
      await signaling.send(new RTCSessionDescription({ type: 'answer', sdp: local.sdp }));
    } else if (obj instanceof RTCIceCandidate) {
      await pc.addIceCandidate({
        candidate: obj.candidate,
        sdpMid: obj.sdpMid,
        sdpMLineIndex: obj.sdpMLineIndex,
      });
    }
  }
}

async function offerAgainst(factory: PeerFactory): Promise<void> {
  const port = await freePort();
  const pc = await factory.create();
  const signaling = new TcpSocketSignaling('127.0.0.1', port);
  try {
    const cli = runCli([
      'offer',
      '-s',
      'tcp-socket',
      '--signaling-port',
      String(port),
      '--loopback',
      '--count',
      '3',
    ]);
    const pongs = await foreignAnswer(pc, signaling);
    const offer = await cli;
    assert.equal(offer.code, 0, offer.stderr);
    assert.equal((offer.stdout.match(/^ RTT \d+\.\d\d ms$/gm) ?? []).length, 3, offer.stdout);
    assert.equal(pongs, 3);
  } finally {
    await signaling.close();
    await pc.close();
  }
}

describe('datachannel-cli offer against other stacks answering (tcp-socket signaling)', () => {
  for (const factory of [NODE_DATACHANNEL, ROAMHQ_WRTC, WERIFT]) {
    it(`${factory.name} answers; 3 pings, 3 RTT lines, exit 0`, async () => {
      await offerAgainst(factory);
    });
  }

  it('datachannel-cli answer against a node-datachannel offerer', async () => {
    const port = await freePort();
    const pc = await NODE_DATACHANNEL.create();
    const signaling = new TcpSocketSignaling('127.0.0.1', port);
    try {
      const cli = runCli(['answer', '-s', 'tcp-socket', '--signaling-port', String(port), '--loopback']);
      const channel = pc.createDataChannel('chat');
      const pong = new Promise<string>((resolve) => {
        channel.addEventListener('message', (m: { data: unknown }) => resolve(String(m.data)));
      });
      channel.addEventListener('open', () => channel.send('ping 1234'));
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const local = pc.localDescription;
      assert.ok(local);
      await signaling.send(new RTCSessionDescription({ type: 'offer', sdp: local.sdp }));
      const answer = await signaling.receive();
      assert.ok(answer instanceof RTCSessionDescription && answer.type === 'answer');
      assert.match(answer.sdp, /a=candidate:/);
      await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
      assert.equal(await pong, 'pong 1234');
      await signaling.close(); // BYE
      const answered = await cli;
      assert.equal(answered.code, 0, answered.stderr);
      assert.match(answered.stdout, /^channel\(chat\) < ping 1234$/m);
      assert.match(answered.stdout, /^Exiting$/m);
    } finally {
      await signaling.close();
      await pc.close();
    }
  });
});
