// The multimodal study's check of the seed report's claims, computed from the accuracy table:
// how much the best fusion beats the best single modality, clean and with one modality corrupted.
import type { TableData } from '../../viz/table.js';
import { CONDITIONS, Condition } from './multimodal-pairs.js';

export const UNIMODAL = ['image only', 'audio only'] as const;
export const FUSIONS = ['early fusion', 'joint fusion', 'late fusion (mean)', 'late fusion (vote)'] as const;
export const MODELS = [...UNIMODAL, ...FUSIONS] as const;
export type ModelName = (typeof MODELS)[number];

/** accuracy[condition][model] */
export type AccuracyTable = Record<Condition, Record<ModelName, number>>;

export interface FusionGain {
  condition: Condition;
  bestUnimodal: ModelName;
  bestFusion: ModelName;
  /** Accuracy of the best fusion minus that of the best single-modality model, same condition. */
  gain: number;
}

const best = (acc: Record<ModelName, number>, names: readonly ModelName[]) => names.reduce((b, n) => (acc[n] > acc[b] ? n : b));

export function fusionGains(acc: AccuracyTable): FusionGain[] {
  return CONDITIONS.map((condition) => {
    const a = acc[condition];
    const bestUnimodal = best(a, UNIMODAL),
      bestFusion = best(a, FUSIONS);
    return { condition, bestUnimodal, bestFusion, gain: a[bestFusion] - a[bestUnimodal] };
  });
}

export interface ConclusionCheck {
  cleanGain: number;
  /** Mean gain over the four corrupted conditions. */
  degradedGain: number;
  supported: boolean;
}

export function checkConclusion(gains: FusionGain[]): ConclusionCheck {
  const clean = gains.find((g) => g.condition === 'clean')!.gain;
  const degraded = gains.filter((g) => g.condition !== 'clean');
  const degradedGain = degraded.reduce((s, g) => s + g.gain, 0) / degraded.length;
  return { cleanGain: clean, degradedGain, supported: degradedGain > clean };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const pts = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)} pts`;

export function accuracyTable(acc: AccuracyTable): TableData {
  return {
    title: 'Test accuracy per model (rows) and test condition (columns)',
    columns: ['model', ...CONDITIONS],
    rows: MODELS.map((m) => [m, ...CONDITIONS.map((c) => +acc[c][m].toFixed(4))]),
  };
}

/** The sentences of report.html's findings table, from the numbers. */
export function findings(acc: AccuracyTable, gains: FusionGain[], check: ConclusionCheck): string[][] {
  const rows = gains.map((g) => [
    g.condition,
    `best fusion ${g.bestFusion} ${pct(acc[g.condition][g.bestFusion])} vs best single modality ${g.bestUnimodal} ${pct(acc[g.condition][g.bestUnimodal])}: ${pts(g.gain)}`,
  ]);
  const drop = (m: ModelName, c: Condition) => acc.clean[m] - acc[c][m];
  const robust = FUSIONS.map((m) => [m, Math.max(...CONDITIONS.slice(1).map((c) => drop(m, c)))] as const).sort((a, b) => a[1] - b[1]);
  rows.push(['robustness', `worst drop from clean over the four corruptions: ${robust.map(([m, d]) => `${m} ${pts(-d)}`).join(', ')}`]);
  // The other reading of "helps": against the model of the modality that was corrupted.
  const rescued = (['image noise', 'image blank', 'audio noise', 'audio blank'] as const).map((c) => {
    const hit: ModelName = c.startsWith('image') ? 'image only' : 'audio only';
    return `${c}: ${pts(acc[c][best(acc[c], FUSIONS)] - acc[c][hit])} over ${hit}`;
  });
  rows.push(['vs the corrupted modality', `best fusion minus the single-modality model whose input was corrupted: ${rescued.join('; ')}`]);
  rows.push([
    'conclusion',
    `fusion gain clean ${pts(check.cleanGain)}, mean over corrupted conditions ${pts(check.degradedGain)}: "fusion helps most when one modality degrades" is ${check.supported ? 'supported' : 'NOT supported'} by this run`,
  ]);
  return rows;
}

export function reportVsNnlab(acc: AccuracyTable, gains: FusionGain[], check: ConclusionCheck, preset: string): TableData {
  const clean = gains[0];
  const lateDrop = Math.max(
    acc.clean['late fusion (mean)'] - acc['image blank']['late fusion (mean)'],
    acc.clean['late fusion (mean)'] - acc['audio blank']['late fusion (mean)'],
  );
  const otherDrop = Math.max(
    ...(['early fusion', 'joint fusion'] as const).flatMap((m) => [
      acc.clean[m] - acc['image blank'][m],
      acc.clean[m] - acc['audio blank'][m],
    ]),
  );
  return {
    title: `Seed report (section 2.6) vs nnlab (${preset} preset)`,
    columns: ['claim', 'report says', 'nnlab gets'],
    rows: [
      [
        'fusion vs single modality',
        'combining image and audio improves on each alone (no number given)',
        `clean: ${clean.bestFusion} ${pct(acc.clean[clean.bestFusion])} vs ${clean.bestUnimodal} ${pct(acc.clean[clean.bestUnimodal])} (${pts(clean.gain)})`,
      ],
      [
        'late fusion',
        'robust when one modality fails',
        `with one modality blanked, late fusion (mean) loses at most ${(100 * lateDrop).toFixed(1)} pts, early / joint fusion up to ${(100 * otherDrop).toFixed(1)} pts`,
      ],
      [
        'conclusion',
        'fusion helps most when one modality degrades',
        `gain over the best single modality: clean ${pts(check.cleanGain)}, corrupted (mean of 4) ${pts(check.degradedGain)}: ${check.supported ? 'supported' : 'not supported'}`,
      ],
    ],
  };
}
