/**
 * Pieces of a byte stream that end with a separator (`%` for commands, a
 * newline for reply lines), however the bytes were split on the way. Bytes
 * are read as latin1, so binary garbage can neither split nor merge pieces.
 */
export class TextFramer {
  private pending = '';

  /** `maxPending`: an unterminated piece longer than this is dropped (bounded memory). */
  constructor(
    private readonly separator: string,
    private readonly maxPending = Infinity,
  ) {}

  /** The pieces this chunk completed, without their separators. */
  push(chunk: Uint8Array | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    const pieces = this.pending.split(this.separator);
    this.pending = pieces.pop() ?? '';
    if (this.pending.length > this.maxPending) this.pending = '';
    return pieces;
  }

  /** Forgets an unterminated piece (after a reset or a drain). */
  reset(): void {
    this.pending = '';
  }
}
