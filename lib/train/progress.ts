// Progress on stderr: a bar redrawn in place on a terminal, one line per epoch otherwise (logs, CI).
export class Progress {
  private readonly tty: boolean;
  private last = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled = true,
  ) {
    this.tty = enabled && !!stream.isTTY;
  }

  /** Called per batch; redraws at most 10 times a second. */
  update(label: string, done: number, total: number, extra = ''): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(total, 1));
    this.stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${extra}\x1b[K`);
  }

  /** Ends the current bar and prints a summary line. */
  line(text: string): void {
    if (this.tty) this.stream.write('\r\x1b[K');
    this.stream.write(text + '\n');
  }
}
