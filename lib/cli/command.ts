// The shape every `nnlab <command>` has. Each command lives in its own file under commands/ and is
// listed once in commands/index.ts; the top-level usage text is assembled from their usage lines.

export interface Command {
  /** The word after `nnlab`. */
  name: string;
  /** Usage lines, each starting with `nnlab <name>` (continuation lines indented). */
  usage: string;
  /** Runs with the arguments after the command word; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}
