// Joining what a model returned batch by batch (inference over a large input in slices).

/** The row-major [n, cols] array made of per-batch row-major chunks, in order; cols = 0 when n = 0. */
export function joinBatches(chunks: readonly Float32Array[], n: number): { data: Float32Array; cols: number } {
  const data = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    data.set(c, off);
    off += c.length;
  }
  return { data, cols: n > 0 ? data.length / n : 0 };
}
