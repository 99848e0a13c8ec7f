/**
 * The seed's "custom audio track": a sine wave in 20 ms s16 mono frames, paced by AudioStreamTrack.
 * Run: npx tsx examples/sine-wave-audio-track.ts
 */
import { pathToFileURL } from 'node:url';
import { AudioFrame, AudioStreamTrack, type StreamTrackOptions } from '../src/media/index.js';

export class SineWaveAudioTrack extends AudioStreamTrack {
  private samplesSent = 0;

  constructor(
    readonly frequency = 440,
    readonly sampleRate = 8000,
    options: StreamTrackOptions = {},
  ) {
    super(options);
  }

  override async recv(): Promise<AudioFrame> {
    const samplesPerFrame = Math.trunc(this.sampleRate * 0.02);
    const pcm = new Int16Array(samplesPerFrame);
    for (let i = 0; i < samplesPerFrame; i++) {
      const t = (this.samplesSent + i) / this.sampleRate;
      pcm[i] = Math.trunc(Math.sin(2 * Math.PI * this.frequency * t) * 32767);
    }
    this.samplesSent += samplesPerFrame;

    const frame = new AudioFrame({
      format: 's16',
      layout: 'mono',
      samples: samplesPerFrame,
      sampleRate: this.sampleRate,
    });
    frame.planes[0]!.update(new Uint8Array(pcm.buffer));

    const { pts, timeBase } = await this.nextTimestamp(samplesPerFrame, this.sampleRate);
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}

async function main(): Promise<void> {
  const track = new SineWaveAudioTrack(880); // A5
  console.log(`Added ${track.kind} track with ID: ${track.id}`);
  for (let i = 0; i < 5; i++) console.log(String(await track.recv()));
  track.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
