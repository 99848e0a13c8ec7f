/**
 * A rate limit made by the kernel for the real-network congestion tests: on `lo` of the test namespace, an
 * HTB class at `rate` whose leaf is a byte FIFO holding `queueMs` of data at that rate (drop-tail), and u32
 * filters that send only UDP to chosen destinations (address and port) through it; everything else leaves
 * unshaped (HTB's direct queue). The namespace is shared by the test files that run at the same time, so a
 * filter names the exact address and port (a socket of another file can hold the same port on the other
 * family), and the qdisc goes when the test ends, or at the latest when the process exits. Plus a video
 * source that always wants more bits than the cap.
 */
import { execFile, execFileSync } from 'node:child_process';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import type { RTCIceCandidateInit } from '../../src/ice/candidate.js';
import { VideoStreamTrack } from '../../src/media/stream-tracks.js';
import { VideoFrame } from '../../src/media/video-frame.js';

const run = promisify(execFile);
const TC = '/usr/sbin/tc';

/** Why the cap cannot be made here (no `tc`, or no permission outside the namespace), or undefined. */
export function tcSkipReason(): string | undefined {
  try {
    execFileSync(TC, ['qdisc', 'show', 'dev', 'lo'], { stdio: 'pipe' });
  } catch {
    return '`tc` is not installed (apt-get install iproute2)';
  }
  try {
    // a harmless change and its undo: needs CAP_NET_ADMIN, which the test namespace gives
    execFileSync(TC, ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb'], { stdio: 'pipe' });
    execFileSync(TC, ['qdisc', 'del', 'dev', 'lo', 'root'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `\`tc\` may not change lo here (run inside ../shared/scripts/netns.sh): ${(e as Error).message.split('\n')[0]}`;
  }
}

/** A UDP destination the cap shapes. */
export interface CapTarget {
  address: string;
  port: number;
}

export class LinkCap {
  readonly targets: CapTarget[] = [];
  private installed: Promise<void> | undefined;

  constructor(
    readonly rate: number,
    readonly queueMs: number,
  ) {}

  /** Whether UDP to `address`:`port` goes through the cap. */
  covers(address: string, port: number): boolean {
    return this.targets.some((t) => t.address === address && t.port === port);
  }

  /** Shape UDP to the address and port of `candidate` (a candidate of the receiving peer). */
  async limitTo(candidate: RTCIceCandidateInit): Promise<void> {
    const m = / udp \S+ (\S+) (\d+) typ /i.exec(candidate.candidate ?? '');
    const address = m?.[1] ?? '';
    const port = Number(m?.[2]);
    if (!Number.isInteger(port) || port <= 0 || this.covers(address, port)) return;
    this.targets.push({ address, port });
    this.installed ??= this.install();
    await this.installed;
    const filter = (proto: 'ip' | 'ipv6', prio: string, match: string[]) =>
      run(TC, [
        'filter',
        'add',
        'dev',
        'lo',
        'parent',
        '1:',
        'protocol',
        proto,
        'prio',
        prio,
        'u32',
        ...match,
        'flowid',
        '1:1',
      ]);
    const family = isIP(address);
    // A name (an mDNS candidate) cannot be matched by address: the port alone, on both families.
    if (family !== 6)
      await filter('ip', '1', [
        'match',
        'ip',
        'protocol',
        '17',
        '0xff',
        ...(family === 4 ? ['match', 'ip', 'dst', `${address}/32`] : []),
        'match',
        'ip',
        'dport',
        `${port}`,
        '0xffff',
      ]);
    if (family !== 4)
      await filter('ipv6', '2', [
        'match',
        'ip6',
        'protocol',
        '17',
        '0xff',
        ...(family === 6 ? ['match', 'ip6', 'dst', `${address}/128`] : []),
        'match',
        'ip6',
        'dport',
        `${port}`,
        '0xffff',
      ]);
  }

  private async install(): Promise<void> {
    const bytes = Math.round(((this.rate / 8) * this.queueMs) / 1000);
    process.once('exit', removeAtExit);
    await run(TC, ['qdisc', 'replace', 'dev', 'lo', 'root', 'handle', '1:', 'htb']);
    // burst of 2 packets: the class releases at the rate, not in bursts of lo's 64 KiB MTU
    await run(TC, [
      'class',
      'add',
      'dev',
      'lo',
      'parent',
      '1:',
      'classid',
      '1:1',
      'htb',
      'rate',
      `${this.rate}bit`,
      'ceil',
      `${this.rate}bit`,
      'burst',
      '3000',
      'cburst',
      '3000',
    ]);
    await run(TC, [
      'qdisc',
      'add',
      'dev',
      'lo',
      'parent',
      '1:1',
      'handle',
      '10:',
      'bfifo',
      'limit',
      `${bytes}`,
    ]);
  }

  /** What the shaped class passed and dropped (for the test's log). */
  async summary(): Promise<string> {
    if (!this.installed) return 'not installed';
    const { stdout } = await run(TC, ['-s', 'qdisc', 'show', 'dev', 'lo', 'parent', '1:1']);
    return stdout.replace(/\s+/g, ' ').trim();
  }

  async remove(): Promise<void> {
    if (!this.installed) return;
    await this.installed.catch(() => undefined);
    await run(TC, ['qdisc', 'del', 'dev', 'lo', 'root']).catch(() => undefined);
    process.off('exit', removeAtExit);
    this.installed = undefined;
  }
}

/** A test that never reached its `finally` (a hang ended by the runner) leaves no cap behind. */
function removeAtExit(): void {
  try {
    execFileSync(TC, ['qdisc', 'del', 'dev', 'lo', 'root'], { stdio: 'pipe' });
  } catch {
    // already gone
  }
}

/**
 * yuv420p frames of faint noise, 30 fps: eight precomputed pictures in turn, so each frame differs from the
 * last everywhere and an encoder uses every bit it is allowed (the sender's target, not the content, sets the
 * rate), yet at a low target it can still meet it by quantising coarsely.
 */
export class NoiseTrack extends VideoStreamTrack {
  private readonly pictures: Uint8Array[] = [];
  private n = 0;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    super();
    const size = width * height * 1.5;
    let x = 0x2545f491;
    for (let p = 0; p < 8; p++) {
      const b = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        b[i] = 120 + ((x >>> 24) % 16); // faint: at a low target the encoder can quantise it away
      }
      this.pictures.push(b);
    }
  }

  override async recv(): Promise<VideoFrame> {
    const { pts, timeBase } = await this.nextTimestamp();
    const frame = new VideoFrame(this.width, this.height, 'yuv420p');
    const src = this.pictures[this.n++ % this.pictures.length]!;
    let offset = 0;
    for (const plane of frame.planes) {
      const w = plane === frame.planes[0] ? this.width : this.width / 2;
      const h = plane === frame.planes[0] ? this.height : this.height / 2;
      for (let y = 0; y < h; y++)
        plane.data.set(src.subarray(offset + y * w, offset + (y + 1) * w), y * plane.lineSize);
      offset += w * h;
    }
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}
