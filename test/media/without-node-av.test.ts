/** The core must work without the optional FFmpeg binding: run a script in a process where node-av is missing. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const SCRIPT = `
  const media = await import('./src/media/index.ts');
  const payload = await import('./src/rtp/payload/index.ts');
  const { JitterBuffer } = await import('./src/rtp/jitter-buffer.ts');
  const out = {};
  // G.711, frames, tracks, payloading and the jitter buffer all work.
  const enc = media.createAudioEncoder('pcmu');
  const dec = media.createAudioDecoder('pcmu');
  const [e] = await enc.encode(new media.AudioFrame({ samples: 160, sampleRate: 8000 }));
  out.g711 = (await dec.decode(e)).length;
  const chunks = payload.createPayloader('vp8').packetize(new Uint8Array(3000));
  out.vp8Packets = chunks.length;
  const jb = new JitterBuffer({ kind: 'audio', codec: 'pcmu', depayloader: payload.createDepayloader('pcmu'), clockRate: 8000 });
  jb.push(0, { payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1, marker: false, payload: e.data });
  out.jitter = jb.pollEvent()?.type;
  out.available = await media.isNodeAvAvailable();
  const { RTCRtpSender } = await import('./src/peerconnection/transceiver.ts');
  out.audioCodecs = RTCRtpSender.getCapabilities('audio').codecs.map((c) => c.mimeType);
  out.videoCodecs = RTCRtpSender.getCapabilities('video').codecs.map((c) => c.mimeType);
  try {
    await media.createVideoEncoder('vp8').encode(new media.VideoFrame(16, 16));
  } catch (err) {
    out.errorName = err.name;
    out.errorMessage = err.message;
  }
  console.log(JSON.stringify(out));
`;

describe('without node-av', () => {
  it('G.711, payloading and the jitter buffer work; FFmpeg codecs say what is missing', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './test/media/block-node-av.mjs', '--input-type=module', '-e', SCRIPT],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.g711, 1);
    assert.ok(out.vp8Packets >= 3);
    assert.equal(out.jitter, 'frame');
    assert.equal(out.available, false);
    assert.deepEqual(out.audioCodecs, ['audio/PCMU', 'audio/PCMA'], 'capabilities list only what works here');
    assert.deepEqual(out.videoCodecs, []);
    assert.equal(out.errorName, 'CodecUnavailableError');
    assert.match(out.errorMessage, /vp8 codec needs the optional package 'node-av'/);
    assert.match(out.errorMessage, /npm install node-av/);
  });
});
