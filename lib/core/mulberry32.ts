// mulberry32: a small seeded generator of numbers in [0, 1) for plain JavaScript data (a random
// sweep's points, the self-test's synthetic images) that must be the same on every machine. Not
// the tensor generator (random.ts): no device, no streams.
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
