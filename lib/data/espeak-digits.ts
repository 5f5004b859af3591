// The offline spoken-digit set: the words "zero".."nine" said by Debian's espeak-ng under several
// voices (accent x voice variant), speeds and pitches, resampled to 8 kHz and written once as
// 16-bit WAV files in the AudioMNIST layout ([digit]_[speaker]_[index].wav), so the folder loader
// reads it like a recorded set. Existing files are reused; only missing clips are synthesised.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { ArgumentError, IOError } from '../core/errors.js';
import { Progress } from '../train/progress.js';
import { resample } from './resample.js';
import { decodeWav, writeWav } from './wav.js';
import type { Audio } from './wav.js';

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

/** espeak-ng voices: an English accent plus a voice variant (male m*, female f*, klatt, croak). */
export const ESPEAK_VOICES = [
  'en-us+m1',
  'en-us+f2',
  'en-gb+m3',
  'en-gb+f4',
  'en-gb-scotland+m2',
  'en-gb-scotland+f1',
  'en-gb-x-rp+m4',
  'en-gb-x-rp+f3',
  'en-029+m5',
  'en-029+f5',
  'en-gb-x-gbclan+m6',
  'en-gb-x-gbclan+f2',
  'en-gb-x-gbcwmd+m7',
  'en-gb-x-gbcwmd+f4',
  'en-us-nyc+m3',
  'en-us-nyc+f1',
  'en-us+klatt',
  'en-gb+croak',
  'en-us+m8',
  'en-gb-x-rp+f5',
] as const;
/** Words per minute and pitch (0-99) of the renditions of each word by each voice. */
export const ESPEAK_SPEEDS = [120, 150, 180, 210, 240] as const;
export const ESPEAK_PITCHES = [35, 50, 65] as const;

export interface SyntheticPlan {
  voices: readonly string[];
  speeds: readonly number[];
  pitches: readonly number[];
}

/** The full set: 20 voices x 10 digits x 5 speeds x 3 pitches = 3,000 clips. */
export const FULL_SYNTHETIC_PLAN: SyntheticPlan = {
  voices: ESPEAK_VOICES,
  speeds: ESPEAK_SPEEDS,
  pitches: ESPEAK_PITCHES,
};

/** Speaker id of a voice in file names: no '_' (the name separator) and no '+'. */
export function speakerId(voice: string): string {
  return voice.replace(/\+/g, '-').replace(/_/g, '');
}

export interface SyntheticClip {
  digit: number;
  voice: string;
  speed: number;
  pitch: number;
  file: string;
}

/**
 * Every clip of a plan. The rendition index in a file name is the (speed, pitch) position in the
 * full lists, so a smaller plan (the quick preset's) names its clips as the full set does and the
 * two share the cache.
 */
export function syntheticClips(plan: SyntheticPlan): SyntheticClip[] {
  const out: SyntheticClip[] = [];
  for (const voice of plan.voices)
    for (let digit = 0; digit < 10; digit++)
      for (const speed of plan.speeds)
        for (const pitch of plan.pitches) {
          const si = (ESPEAK_SPEEDS as readonly number[]).indexOf(speed);
          const pi = (ESPEAK_PITCHES as readonly number[]).indexOf(pitch);
          if (si < 0 || pi < 0)
            throw new ArgumentError(
              `synthetic spoken digits: speed ${speed} / pitch ${pitch} is not one of ${ESPEAK_SPEEDS.join(', ')} / ${ESPEAK_PITCHES.join(', ')}`,
            );
          const index = si * ESPEAK_PITCHES.length + pi;
          out.push({ digit, voice, speed, pitch, file: `${digit}_${speakerId(voice)}_${index}.wav` });
        }
  return out;
}

/** Default cache: $NNLAB_CACHE or ~/.cache/nnlab, then spoken-digits-espeak-8k-v2. */
export function defaultSyntheticDir(): string {
  return join(process.env.NNLAB_CACHE ?? join(homedir(), '.cache', 'nnlab'), 'spoken-digits-espeak-8k-v2');
}

function espeak(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('espeak-ng', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new IOError(
              'espeak-ng is not installed: the synthetic spoken-digit set needs it (apt-get install espeak-ng), or pass --data-dir with an AudioMNIST / free-spoken-digit folder',
            )
          : e,
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new IOError(`espeak-ng ${args.join(' ')} failed (exit ${code}): ${err.trim()}`)),
    );
  });
}

const BREAK_MS = 800;
const SILENCE = 1e-3; // espeak-ng's pauses are digital silence
const FRAME_S = 0.01;

/** Non-silent stretches of `x` separated by at least `minGapS` seconds of silence, with 50 ms margins. */
export function splitOnSilence(audio: Audio, minGapS: number): Audio[] {
  const { samples: x, sampleRate } = audio;
  const f = Math.max(1, Math.round(FRAME_S * sampleRate));
  const frames = Math.ceil(x.length / f);
  const loud: boolean[] = [];
  for (let k = 0; k < frames; k++) {
    let peak = 0;
    for (let i = k * f; i < Math.min(x.length, (k + 1) * f); i++) peak = Math.max(peak, Math.abs(x[i]));
    loud.push(peak >= SILENCE);
  }
  const minGap = Math.round(minGapS / FRAME_S),
    margin = Math.round(0.05 / FRAME_S);
  const out: Audio[] = [];
  let k = 0;
  while (k < frames) {
    while (k < frames && !loud[k]) k++;
    if (k >= frames) break;
    const start = k;
    let end = k,
      quiet = 0;
    for (; k < frames && quiet < minGap; k++) {
      if (loud[k]) ((end = k), (quiet = 0));
      else quiet++;
    }
    const a = Math.max(0, start - margin) * f,
      b = Math.min(x.length, (end + 1 + margin) * f);
    out.push({ samples: x.slice(a, b), sampleRate });
  }
  return out;
}

/**
 * The ten digits of one rendition (voice, speed, pitch): one espeak-ng run says them all with
 * pauses in between (SSML breaks) and the pauses are cut out, ten times fewer process starts than
 * one run per word. Falls back to one run per word if the cut does not give ten words.
 */
async function renditionWords(voice: string, speed: number, pitch: number): Promise<Audio[]> {
  const base = ['-v', voice, '-s', String(speed), '-p', String(pitch), '--stdout'];
  const text = DIGIT_WORDS.join(` <break time="${BREAK_MS}ms"/> `);
  const words = splitOnSilence(decodeWav(await espeak(['-m', ...base, text]), `espeak-ng output for ${voice}`), (0.5 * BREAK_MS) / 1000);
  if (words.length === DIGIT_WORDS.length) return words;
  return Promise.all(
    DIGIT_WORDS.map(async (w) => {
      const parts = splitOnSilence(decodeWav(await espeak([...base, w]), `espeak-ng output for ${voice} '${w}'`), (0.5 * BREAK_MS) / 1000);
      if (!parts.length) throw new IOError(`espeak-ng produced silence for '${w}' with voice ${voice}`);
      return parts[0];
    }),
  );
}

function writeClip(dir: string, file: string, audio: Audio): void {
  const tmp = join(dir, `.${file}.${process.pid}.tmp`);
  writeWav(tmp, audio);
  renameSync(tmp, join(dir, file)); // a crash never leaves a half-written clip under its name
}

/**
 * Writes the missing clips of `plan` into `dir`, each trimmed to its word with 50 ms of silence
 * around it, with a progress bar on stderr (several espeak-ng processes at once: each spends most
 * of its time starting up). Returns the number of clips synthesised.
 */
export async function ensureSyntheticDigits(
  dir: string,
  plan: SyntheticPlan = FULL_SYNTHETIC_PLAN,
  o: { sampleRate?: number; concurrency?: number; log?: (line: string) => void } = {},
): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const missing = syntheticClips(plan).filter((c) => !existsSync(join(dir, c.file)));
  if (!missing.length) return 0;
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  log(`synthesising ${missing.length} spoken-digit clips with espeak-ng into ${dir} (once; later runs reuse them)`);
  const renditions = new Map<string, SyntheticClip[]>();
  for (const c of missing) {
    const key = `${c.voice} ${c.speed} ${c.pitch}`;
    renditions.set(key, [...(renditions.get(key) ?? []), c]);
  }
  const jobs = [...renditions.values()];
  const progress = new Progress(process.stderr);
  let next = 0,
    done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const clips = jobs[next++];
      const { voice, speed, pitch } = clips[0];
      const words = await renditionWords(voice, speed, pitch);
      for (const c of clips) writeClip(dir, c.file, resample(words[c.digit], o.sampleRate ?? 8000));
      const before = done;
      done += clips.length;
      progress.update('espeak-ng', done, missing.length);
      // Without a terminal (logs, CI) the bar is silent: a line every 500 clips instead.
      if (!process.stderr.isTTY && Math.floor(done / 500) > Math.floor(before / 500)) log(`  ${done}/${missing.length} clips`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 4 }, worker));
  progress.line(`synthesised ${done} clips`);
  return done;
}
