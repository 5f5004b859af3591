// Property-based fuzzing (fast-check) of the parsers of files users hand to nnlab: IDX (raw and
// gzip), safetensors, CSV and WAV. Inputs are the committed corpus (test/fixtures/fuzz-corpus, made by
// scripts/fixtures/fuzz_corpus.mjs) mutated by bit flips, byte changes, cuts and splices, plus
// random round trips. Every input must parse or throw an NnlabError; nothing else is allowed (no
// RangeError, no hang, no crash). Each property runs for NNLAB_FUZZ_SECONDS (default 4 s); CI
// gives them longer.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { encodeIdx, readIdx } from '../../lib/data/idx.js';
import { NnlabError, tensor } from '../../lib/index.js';
import { parseCsv, toCsv } from '../../lib/io/csv.js';
import { decodeWav, encodeWav } from '../../lib/data/wav.js';
import { loadSafetensors, saveSafetensors } from '../../lib/io/safetensors.js';

const SECONDS = Number(process.env.NNLAB_FUZZ_SECONDS ?? 4);
const CORPUS = 'test/fixtures/fuzz-corpus';
const dir = mkdtempSync(join(tmpdir(), 'nnlab-fuzz-'));
const corpus = (kind: string) => readdirSync(join(CORPUS, kind)).map((f) => new Uint8Array(readFileSync(join(CORPUS, kind, f))));

/** A corpus file with a few random mutations. */
const mutated = (seeds: Uint8Array[]) =>
  fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(4), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
    .map(([seed, edits]) => {
      let b = Buffer.from(seed);
      for (const [kind, pos, v] of edits) {
        const p = b.length ? pos % b.length : 0;
        if (kind === 0 && b.length)
          b[p] ^= 1 << (v % 8); // bit flip
        else if (kind === 1 && b.length)
          b[p] = v; // byte change
        else if (kind === 2)
          b = b.subarray(0, p); // cut
        else if (kind === 3)
          b = Buffer.concat([b.subarray(0, p), Buffer.from([v, v, v]), b.subarray(p)]); // insert
        else b = Buffer.concat([b, b.subarray(0, p)]); // splice onto itself
      }
      return new Uint8Array(b);
    });

/** Runs `parse`; only a normal return or an NnlabError is acceptable. */
function survives(parse: () => unknown): true {
  try {
    parse();
  } catch (e) {
    if (!(e instanceof NnlabError)) throw new Error(`non-nnlab error: ${(e as Error).stack ?? e}`);
  }
  return true;
}

const budget = { interruptAfterTimeLimit: SECONDS * 1000, numRuns: 1_000_000, markInterruptAsFailure: false };

/**
 * Checks `prop` on 50 inputs whatever the clock says, then for the time budget. fast-check fails a
 * time-bounded run that completed no input ("Property interrupted after 0 tests"), which a loaded
 * CI machine (or a paused VM) can cause; the fixed runs keep the property checked then.
 */
function fuzz<T>(prop: fc.IProperty<T>): void {
  fc.assert(prop, { numRuns: 50 });
  try {
    fc.assert(prop, budget);
  } catch (e) {
    if (!/^Property interrupted after 0 tests/.test((e as Error).message)) throw e;
  }
}
let file = 0;
const write = (bytes: Uint8Array, ext = '') => {
  const p = join(dir, `in-${file++ % 8}${ext}`);
  writeFileSync(p, bytes);
  return p;
};

describe('parser fuzzing', () => {
  it('the corpus itself: valid files parse, malformed ones are NnlabErrors', () => {
    for (const b of corpus('idx')) survives(() => readIdx(write(b)));
    for (const b of corpus('gzip')) survives(() => readIdx(write(b, '.gz')));
    for (const b of corpus('safetensors')) survives(() => loadSafetensors(write(b)));
    for (const b of corpus('csv')) survives(() => parseCsv(Buffer.from(b).toString('utf8')));
    expect(readIdx(write(corpus('idx')[1])).shape.length).toBeGreaterThan(0);
  });

  it('IDX: mutated raw files', () => {
    fuzz(fc.property(mutated(corpus('idx')), (b) => survives(() => readIdx(write(b)))));
  });

  it('IDX: mutated gzip files (gzip inflation limited by the IDX header)', () => {
    fuzz(fc.property(mutated(corpus('gzip')), (b) => survives(() => readIdx(write(b, '.gz')))));
  });

  it('IDX: encode then read gives back shape and bytes', () => {
    const shapeArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 });
    fuzz(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
        const back = readIdx(write(encodeIdx(shape, data)));
        expect(back.shape).toEqual(shape);
        expect([...back.data]).toEqual([...data]);
      }),
    );
  });

  it('safetensors: mutated files never crash the loader and never load silently changed data', () => {
    const seeds = corpus('safetensors');
    fuzz(
      fc.property(mutated(seeds), (b) => {
        let loaded: ReturnType<typeof loadSafetensors> | null = null;
        survives(() => (loaded = loadSafetensors(write(b))));
        const got = loaded as ReturnType<typeof loadSafetensors> | null;
        // A mutated file nnlab wrote either fails its checksum or is byte-identical in its data.
        if (got && got.metadata['nnlab.sha256'] && !seeds.some((s) => Buffer.from(s).equals(Buffer.from(b)))) {
          // Equal data with a different file is possible (padding, JSON whitespace): the tensors must match a seed's.
          const same = seeds.some((s) => {
            try {
              const ref = loadSafetensors(write(s));
              return [...ref.tensors].every(
                ([k, t]) => got.tensors.get(k) && Buffer.from(got.tensors.get(k)!.data().buffer).equals(Buffer.from(t.data().buffer)),
              );
            } catch {
              return false;
            }
          });
          expect(same).toBe(true);
        }
        for (const t of got?.tensors.values() ?? []) t.dispose();
      }),
    );
  });

  it('safetensors: save then load gives back every tensor and the metadata', () => {
    const arb = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__metadata__'),
      fc.array(fc.float({ noNaN: true }), { maxLength: 6 }),
      { maxKeys: 4 },
    );
    fuzz(
      fc.property(arb, fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }), (tensors, meta) => {
        const p = join(dir, 'roundtrip.safetensors');
        saveSafetensors(p, Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, tensor(v, [v.length])])), meta);
        const back = loadSafetensors(p);
        for (const [k, v] of Object.entries(tensors)) expect([...back.tensors.get(k)!.data()]).toEqual([...Float32Array.from(v)]);
        for (const [k, v] of Object.entries(meta)) if (k !== 'nnlab.sha256') expect(back.metadata[k]).toBe(v);
      }),
    );
  });

  // WAV seeds are made here (16-bit PCM from encodeWav, at the rates the audio studies read):
  // the decoder is the wavefile library behind lib/data/wav.ts, whose errors must become IOErrors.
  const wavSeeds = [8000, 16000, 44100].map((rate, k) =>
    encodeWav({ samples: Float32Array.from({ length: 64 + 37 * k }, (_, i) => Math.sin(i * (k + 1) * 0.3) * 0.8), sampleRate: rate }),
  );

  it('WAV: mutated files decode or are IOErrors (never a RangeError or a hang)', () => {
    fuzz(fc.property(mutated(wavSeeds), (b) => survives(() => decodeWav(b, 'fuzz.wav'))));
  });

  // Half a step of rounding, plus the conventions' gain difference: encoding scales by 32767 (so 1.0
  // fits), decoding divides by 32768 (as torchaudio and soundfile do).
  it('WAV: encode then decode gives back the rate and the samples to 16-bit precision', () => {
    fuzz(
      fc.property(
        fc.float32Array({ min: -1, max: 1, noNaN: true, minLength: 1, maxLength: 300 }),
        fc.constantFrom(8000, 16000, 22050, 48000),
        (samples, sampleRate) => {
          const back = decodeWav(encodeWav({ samples, sampleRate }));
          expect(back.sampleRate).toBe(sampleRate);
          expect(back.samples.length).toBe(samples.length);
          back.samples.forEach((v, i) => expect(Math.abs(v - samples[i])).toBeLessThanOrEqual(0.5 / 32767 + 1 / 32768 + 1e-7));
        },
      ),
    );
    expect(() => encodeWav({ samples: new Float32Array(0), sampleRate: 16000 })).toThrow(/no samples/);
  });

  it('CSV: mutated corpus files and arbitrary text parse or are IOErrors', () => {
    fuzz(fc.property(mutated(corpus('csv')), (b) => survives(() => parseCsv(Buffer.from(b).toString('utf8')))));
    fuzz(fc.property(fc.string({ maxLength: 200 }), (s) => survives(() => parseCsv(s))));
  });

  it('CSV: toCsv then parseCsv gives back every cell', () => {
    const cellArb = fc.string({ maxLength: 12 });
    fuzz(
      fc.property(fc.array(fc.array(cellArb, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const width = rows[0].length;
        const rect = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
        const [header, ...body] = rect;
        const back = parseCsv(toCsv(header, body));
        // A row of one empty cell is written as an empty line, which reads as no cells.
        expect(back).toEqual(rect.map((r) => (r.length === 1 && r[0] === '' ? [''] : r)));
      }),
    );
  });
});
