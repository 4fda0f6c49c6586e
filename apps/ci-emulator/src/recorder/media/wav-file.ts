import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { WAV_HEADER_LENGTH, WavEncoder } from '@ci-connector/media-srtp';

/**
 * One WAV on disk, written as packets come: the placeholder header at once,
 * samples appended in order (writes are chained, never reordered), the header
 * patched with the real sizes at close.
 */
export class WavFile {
  readonly encoder = new WavEncoder();
  private chain: Promise<void> = Promise.resolve();
  private position = WAV_HEADER_LENGTH;
  private closed: Promise<void> | undefined;
  writeErrors = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly logger: Logger,
  ) {}

  static async create(path: string, logger: Logger): Promise<WavFile> {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'w');
    const f = new WavFile(path, fh, logger);
    await fh.write(f.encoder.initialHeader(), 0, WAV_HEADER_LENGTH, 0);
    return f;
  }

  appendSamples(silence: number, samples: Int16Array): void {
    if (this.closed) return;
    const parts = [];
    if (silence > 0) parts.push(this.encoder.silence(silence));
    parts.push(this.encoder.encode(samples));
    const buf = Buffer.concat(parts);
    if (buf.length === 0) return;
    const at = this.position;
    this.position += buf.length;
    this.chain = this.chain.then(async () => {
      try {
        await this.fh.write(buf, 0, buf.length, at);
      } catch (e) {
        if (this.writeErrors++ === 0) this.logger.error({ err: e, path: this.path }, 'writing the WAV failed; further samples of this stream may be missing');
      }
    });
  }

  /** Waits for the writes, patches the header, closes the file. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.chain.then(async () => {
      try {
        await this.fh.write(this.encoder.finalHeader(), 0, WAV_HEADER_LENGTH, 0);
      } catch (e) {
        this.writeErrors++;
        this.logger.error({ err: e, path: this.path }, 'patching the WAV header failed');
      } finally {
        await this.fh.close().catch(() => undefined);
      }
    });
    return this.closed;
  }
}
