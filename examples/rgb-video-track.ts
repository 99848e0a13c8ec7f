/**
 * The seed's "custom video track" (a webcam in aiortc's example): here a camera-like source that renders a
 * moving RGB test pattern, turns it into a VideoFrame from raw rgb24 bytes and paces it with nextTimestamp().
 * Run: npx tsx examples/rgb-video-track.ts
 */
import { pathToFileURL } from 'node:url';
import {
  MediaStreamError,
  type StreamTrackOptions,
  VideoFrame,
  VideoStreamTrack,
} from '../src/media/index.js';

/** Stands in for cv2.VideoCapture: returns BGR pixels, or null once "unplugged". */
class FakeCamera {
  private frameNo = 0;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly frames = Number.POSITIVE_INFINITY,
  ) {}

  read(): Uint8Array | null {
    if (this.frameNo >= this.frames) return null;
    const { width, height } = this;
    const bgr = new Uint8Array(width * height * 3);
    const shift = this.frameNo++ * 4;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        bgr[o] = (y * 255) / height; // blue
        bgr[o + 1] = 128; // green
        bgr[o + 2] = ((x + shift) * 255) / width; // red
      }
    }
    return bgr;
  }
}

export class CameraVideoTrack extends VideoStreamTrack {
  private camera: FakeCamera | null;

  constructor(width = 640, height = 480, frames?: number, options: StreamTrackOptions = {}) {
    super(options);
    this.camera = new FakeCamera(width, height, frames);
  }

  override async recv(): Promise<VideoFrame> {
    const camera = this.camera;
    const bgr = camera?.read();
    if (!camera || !bgr) throw new MediaStreamError('Failed to read from camera');
    // Convert BGR to RGB, as the seed does with cv2.cvtColor, then build the frame from raw rgb24 bytes.
    const rgb = VideoFrame.fromBytes(bgr, camera.width, camera.height, 'bgr24').reformat({ format: 'rgb24' });
    const frame = VideoFrame.fromBytes(rgb.toBytes(), camera.width, camera.height, 'rgb24');
    const { pts, timeBase } = await this.nextTimestamp();
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }

  override stop(): void {
    super.stop();
    this.camera = null;
  }
}

async function main(): Promise<void> {
  const track = new CameraVideoTrack();
  console.log(`Added ${track.kind} track with ID: ${track.id}`);
  try {
    for (let i = 0; i < 10; i++) {
      const frame = await track.recv();
      console.log(`Frame ${i}: ${frame.width}x${frame.height}`);
    }
  } finally {
    track.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
