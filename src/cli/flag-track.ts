/**
 * aiortc's videostream-cli pattern in TypeScript (no OpenCV): a French flag (blue, white, red) shrunk to half
 * size in the middle of a black 640×480 picture, waving: each of 30 precomputed frames samples the flag through
 * a sine displacement of 10 pixels whose phase moves a full turn per second. Frames come at 30 fps from
 * VideoStreamTrack's pacing; they are computed once, in yuv420p, and shared (each recv() gets its own frame
 * object over the same planes, so a frame's pts is never changed under a consumer that still holds it).
 */
import { VideoStreamTrack } from '../media/stream-tracks.js';
import { VideoFrame } from '../media/video-frame.js';

export const FLAG_WIDTH = 640;
export const FLAG_HEIGHT = 480;
const FRAMES = 30;
const AMPLITUDE = 10;

/** The flag's colours as BGR triples, left to right (aiortc's numbers). */
export const FLAG_COLOURS_BGR = [
  [255, 0, 0], // blue
  [255, 255, 255], // white
  [0, 0, 255], // red
] as const;
const STRIPES = [213, 214, 213];

/** The full-size flag, bgr24, 640×480. */
function fullFlag(): Uint8Array {
  const out = new Uint8Array(FLAG_WIDTH * FLAG_HEIGHT * 3);
  const columnColour: (readonly number[])[] = [];
  STRIPES.forEach((width, stripe) => {
    for (let i = 0; i < width; i++) columnColour.push(FLAG_COLOURS_BGR[stripe]!);
  });
  for (let y = 0; y < FLAG_HEIGHT; y++) {
    for (let x = 0; x < FLAG_WIDTH; x++) out.set(columnColour[x]!, (y * FLAG_WIDTH + x) * 3);
  }
  return out;
}

/** Bilinear sample of a bgr24 picture at (x, y); outside it is black (OpenCV's constant border of 0). */
function sample(src: Uint8Array, x: number, y: number, out: Uint8Array, at: number): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  for (let c = 0; c < 3; c++) {
    let acc = 0;
    for (let dy = 0; dy <= 1; dy++) {
      const yy = y0 + dy;
      if (yy < 0 || yy >= FLAG_HEIGHT) continue;
      const wy = dy ? fy : 1 - fy;
      for (let dx = 0; dx <= 1; dx++) {
        const xx = x0 + dx;
        if (xx < 0 || xx >= FLAG_WIDTH) continue;
        acc += src[(yy * FLAG_WIDTH + xx) * 3 + c]! * wy * (dx ? fx : 1 - fx);
      }
    }
    out[at + c] = Math.round(acc);
  }
}

/** The flag at half size, centred on black (aiortc's warpAffine with scale 0.5 and offset width/4, height/4). */
function shrunkFlag(): Uint8Array {
  const flag = fullFlag();
  const out = new Uint8Array(flag.length);
  for (let y = 0; y < FLAG_HEIGHT; y++) {
    for (let x = 0; x < FLAG_WIDTH; x++) {
      sample(flag, (x - FLAG_WIDTH / 4) * 2, (y - FLAG_HEIGHT / 4) * 2, out, (y * FLAG_WIDTH + x) * 3);
    }
  }
  return out;
}

/**
 * The 30 waving frames, bgr24 (aiortc's remap with map_x = x + 10 cos(ωx + φ), map_y = y + 10 sin(ωx + φ)).
 * Both displacements depend on x only, so each column has one set of bilinear weights: the inner loop runs
 * down a column with them (identical output to sampling each pixel, in about 60 % of the time).
 */
export function flagFramesBgr(): Uint8Array[] {
  const flag = shrunkFlag();
  const omega = (2 * Math.PI) / FLAG_HEIGHT;
  const row = FLAG_WIDTH * 3;
  const frames: Uint8Array[] = [];
  for (let k = 0; k < FRAMES; k++) {
    const phase = (2 * k * Math.PI) / FRAMES;
    const out = new Uint8Array(flag.length);
    for (let x = 0; x < FLAG_WIDTH; x++) {
      const sx = x + AMPLITUDE * Math.cos(omega * x + phase);
      const dy = AMPLITUDE * Math.sin(omega * x + phase);
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      const y0 = Math.floor(dy);
      const fy = dy - y0;
      // The two neighbouring columns; one outside the picture counts as black (weight 0).
      const inside = (c: number): boolean => c >= 0 && c < FLAG_WIDTH;
      const wl = inside(x0) ? 1 - fx : 0;
      const wr = inside(x0 + 1) ? fx : 0;
      const il = Math.min(Math.max(x0, 0), FLAG_WIDTH - 1) * 3;
      const ir = Math.min(Math.max(x0 + 1, 0), FLAG_WIDTH - 1) * 3;
      for (let y = 0; y < FLAG_HEIGHT; y++) {
        const ya = y + y0;
        const wt = ya >= 0 && ya < FLAG_HEIGHT ? 1 - fy : 0;
        const wb = ya + 1 >= 0 && ya + 1 < FLAG_HEIGHT ? fy : 0;
        const rt = Math.min(Math.max(ya, 0), FLAG_HEIGHT - 1) * row;
        const rb = Math.min(Math.max(ya + 1, 0), FLAG_HEIGHT - 1) * row;
        const at = y * row + x * 3;
        for (let c = 0; c < 3; c++) {
          const top = flag[rt + il + c]! * wl + flag[rt + ir + c]! * wr;
          const bottom = flag[rb + il + c]! * wl + flag[rb + ir + c]! * wr;
          out[at + c] = Math.round(top * wt + bottom * wb);
        }
      }
    }
    frames.push(out);
  }
  return frames;
}

let cached: VideoFrame[] | undefined;

/** The frames in yuv420p, computed on first use and shared by every FlagVideoStreamTrack. */
function flagFrames(): VideoFrame[] {
  cached ??= flagFramesBgr().map((bgr) =>
    VideoFrame.fromBytes(bgr, FLAG_WIDTH, FLAG_HEIGHT, 'bgr24').reformat({ format: 'yuv420p' }),
  );
  return cached;
}

/** aiortc's FlagVideoStreamTrack: the waving flag at 30 fps. */
export class FlagVideoStreamTrack extends VideoStreamTrack {
  private counter = 0;
  private readonly frames = flagFrames();

  override async recv(): Promise<VideoFrame> {
    const { pts, timeBase } = await this.nextTimestamp();
    const shared = this.frames[this.counter % FRAMES]!;
    this.counter++;
    const frame = new VideoFrame(shared.width, shared.height, shared.format, shared.planes);
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}
