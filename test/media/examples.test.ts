import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraVideoTrack } from '../../examples/rgb-video-track.js';
import { SineWaveAudioTrack } from '../../examples/sine-wave-audio-track.js';
import { MediaStreamError } from '../../src/media/index.js';
import { FakeClock } from './fake-clock.js';

describe("the seed's examples in TypeScript", () => {
  it('SineWaveAudioTrack yields a continuous 880 Hz tone in 20 ms frames', async () => {
    const track = new SineWaveAudioTrack(880, 8000, { clock: new FakeClock() });
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const f = await track.recv();
      assert.equal(f.samples, 160);
      assert.equal(f.pts, i * 160);
      samples.push(...f.toFloat32()[0]!);
    }
    samples.forEach((s, n) => {
      assert.ok(Math.abs(s - Math.sin((2 * Math.PI * 880 * n) / 8000)) < 1e-3, `sample ${n}`);
    });
    track.stop();
  });

  it('CameraVideoTrack builds frames from RGB data and ends with MediaStreamError', async () => {
    const track = new CameraVideoTrack(32, 16, 2, { clock: new FakeClock() });
    const f = await track.recv();
    assert.equal(f.format, 'rgb24');
    assert.equal(f.width, 32);
    assert.equal(f.pts, 0);
    const px = f.toBytes();
    assert.deepEqual([px[0], px[1], px[2]], [0, 128, 0]); // red 0 at x=0, green 128, blue 0 at y=0
    assert.equal((await track.recv()).pts, 3000);
    await assert.rejects(track.recv(), MediaStreamError);
    track.stop();
    assert.equal(track.readyState, 'ended');
  });
});
