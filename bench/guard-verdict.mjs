// The guard's verdict on one workload: more instructions than the baseline by over 5% is a
// regression, and so is a drop of over 20%: a kernel that suddenly does far less work has most
// likely stopped doing part of its job (a skipped loop, an early return), not become 5x smarter.
export const RISE_TOLERANCE = 0.05;
export const DROP_TOLERANCE = 0.2;

/** { change, status }: status is 'new' (no baseline), 'ok', 'rise' or 'drop'. */
export function verdict(count, baseline) {
  if (!baseline) return { change: null, status: 'new' };
  const change = count / baseline - 1;
  if (change > RISE_TOLERANCE) return { change, status: 'rise' };
  if (change < -DROP_TOLERANCE) return { change, status: 'drop' };
  return { change, status: 'ok' };
}

export const LABELS = {
  rise: '  REGRESSION (more instructions)',
  drop: '  REGRESSION (far fewer instructions: work skipped?)',
  ok: '',
  new: '',
};
