/** CopyAndPasteSignaling: the user carries each JSON line between two terminals (aiortc's default). */
import { LineSplitter, oversizeError, SignalingInbox } from './inbox.js';
import type { Signaling } from './signaling.js';
import { BYE, MAX_SIGNALING_MESSAGE_BYTES, objectToString, type SignalingObject } from './wire.js';

export interface CopyAndPasteOptions {
  /** Where pasted lines come from (default process.stdin). */
  input?: NodeJS.ReadableStream;
  /** Where messages to copy go (default process.stdout). */
  output?: NodeJS.WritableStream;
  /** Where the prompts go (default: `output`). */
  prompts?: NodeJS.WritableStream;
  maxMessageBytes?: number;
}

export class CopyAndPasteSignaling implements Signaling {
  private readonly input: NodeJS.ReadableStream;
  private readonly output: NodeJS.WritableStream;
  private readonly prompts: NodeJS.WritableStream;
  private readonly inbox: SignalingInbox;
  private readonly splitter: LineSplitter;
  private connected = false;
  private readonly onData = (chunk: Buffer | string): void =>
    this.splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  private readonly onEnd = (): void => {
    this.splitter.flush();
    this.inbox.end();
  };

  constructor(options: CopyAndPasteOptions = {}) {
    const maxBytes = options.maxMessageBytes ?? MAX_SIGNALING_MESSAGE_BYTES;
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.prompts = options.prompts ?? this.output;
    this.inbox = new SignalingInbox(maxBytes);
    this.splitter = new LineSplitter(
      (line) => this.inbox.pushText(line),
      () => this.inbox.pushError(oversizeError(maxBytes)),
      maxBytes,
    );
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    this.connected = true;
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.resume();
  }

  async send(obj: SignalingObject): Promise<void> {
    this.prompts.write('-- Please send this message to the remote party --\n');
    await writeLine(this.output, `${objectToString(obj)}\n`);
    this.prompts.write('\n');
  }

  async receive(): Promise<SignalingObject> {
    await this.connect();
    this.prompts.write('-- Please enter a message from remote party --\n');
    try {
      return await this.inbox.receive();
    } finally {
      this.prompts.write('\n');
    }
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    if (!this.inbox.isEnded) await this.send(BYE);
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.pause();
    this.inbox.end();
  }
}

function writeLine(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (err) => (err ? reject(err) : resolve())));
}
