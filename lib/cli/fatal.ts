// Imported first by the CLI: an error thrown while the modules load (a bad NNLAB_* variable, an
// addon that does not load) is printed as `nnlab: ...` like any other, not as a stack trace.
import { NnlabError } from '../core/errors.js';

process.on('uncaughtException', (e) => {
  if (e instanceof NnlabError) {
    process.stderr.write(`nnlab: ${e.name}: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
