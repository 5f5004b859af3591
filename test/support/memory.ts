// Helpers of the memory tests: RSS in MiB, a turn of the event loop, and a full collection that
// lets N-API finalisers run (they run on a later turn, not inside gc()).
export const MB = 1024 * 1024;
export const rssMB = () => process.memoryUsage().rss / MB;
export const turn = () => new Promise((r) => setImmediate(r));

export async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory tests need node --expose-gc (set in vitest.config.ts)');
  for (let i = 0; i < 6; i++) {
    gc();
    await turn();
  }
}
