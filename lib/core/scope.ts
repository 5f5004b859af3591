// Memory scopes. Every tensor is registered in the innermost open scope; tidy(fn) disposes the
// tensors created during fn except those it returns (which move to the enclosing scope) and
// those marked with keep(). Outside any tidy(), tensors made during a training loop belong to its
// steps (./steps.ts) and are freed two step boundaries later; otherwise they live until dispose()
// or the GC.
import { native } from './native.js';
import { stepOwner, steps } from './steps.js';

export interface Disposable {
  /** Safe to call again once disposed (a tidy() frees its tensors without asking first). */
  dispose(): void;
  readonly disposed: boolean;
  /** Called when the object leaves scope ownership (kept, or returned out of the outermost tidy). */
  escapedScopes?(): void;
}

const scopes: Set<Disposable>[] = [];

export function track<T extends Disposable>(t: T): T {
  const top = scopes[scopes.length - 1];
  if (top) top.add(t);
  else steps.adopt(t);
  return t;
}

/** True while some tidy() scope is open (the caller frees memory explicitly: no step boundaries then). */
export function inTidy(): boolean {
  return scopes.length > 0;
}

// The native side needs to know whether a scope owns new handles (a tidy, or the training steps):
// those are freed deterministically, and are not reported to the GC as external memory.
function setScoped(open: boolean): void {
  native.setTensorsScoped(open);
}
steps.onOwnershipChange = () => {
  if (scopes.length === 0) setScoped(steps.active);
};

/** Removes t from every open scope so no tidy() disposes it (parameters, grads, buffers). */
export function keep<T extends Disposable>(t: T): T {
  let owned = steps.release(t);
  for (const s of scopes) owned = s.delete(t) || owned;
  if (owned) t.escapedScopes?.();
  return t;
}

/**
 * Like keep(t), but t lives as long as `owner` would: when the owner belongs to the training steps
 * (a step's input with requiresGrad, as in FGSM), so does t (its gradient). Otherwise as keep().
 */
export function keepWith<T extends Disposable>(t: T, owner: Disposable): T {
  const gen = stepOwner(owner);
  if (!gen) return keep(t);
  for (const s of scopes) s.delete(t);
  steps.release(t);
  gen.add(t);
  return t;
}

function collectResults(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value == null || depth > 4) return;
  if (typeof value === 'object' && 'dispose' in (value as object) && 'disposed' in (value as object)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) value.forEach((v) => collectResults(v, out, depth + 1));
  else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    Object.values(value as object).forEach((v) => collectResults(v, out, depth + 1));
}

/**
 * Runs fn and disposes every tensor it created except the ones it returns (also inside arrays
 * or plain objects). fn must be synchronous: a promise would escape the scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  if (scopes.length === 0) setScoped(true);
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    if (scopes.length === 0) setScoped(steps.active);
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (scopes.length === 0) setScoped(steps.active);
  if (result instanceof Promise) throw new TypeError('tidy(fn): fn must be synchronous (it returned a Promise)');
  const survivors = new Set<Disposable>();
  collectResults(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) {
      if (parent) parent.add(t);
      else if (!steps.adopt(t)) t.escapedScopes?.();
    } else {
      t.dispose();
    }
  }
  return result;
}

/**
 * Disposes t now if it belongs to the innermost open scope (created there, neither kept nor
 * handed out of a nested tidy): the end its tidy would give it anyway, only earlier. Outside any
 * scope, or for a tensor of an outer scope, it does nothing. Returns whether t was disposed.
 */
export function disposeIfScoped(t: Disposable): boolean {
  const top = scopes[scopes.length - 1] ?? steps.current();
  if (!top || !top.has(t) || t.disposed) return false;
  top.delete(t);
  t.dispose();
  return true;
}

/** True when t belongs to the innermost open scope (what disposeIfScoped would free). */
export function inInnermostScope(t: Disposable): boolean {
  const top = scopes[scopes.length - 1] ?? steps.current();
  return !!top && top.has(t) && !t.disposed;
}

/** Disposes t and removes it from whichever open scope holds it. */
export function disposeFromScopes(t: Disposable): void {
  for (const s of scopes) s.delete(t);
  steps.release(t);
  t.dispose();
}

/**
 * Ends a training step (./steps.ts): the tensors made during the step before it are freed.
 * optimizer.step() and a DataLoader handing out a batch call it; a hand-written loop that has
 * neither can call it once per iteration. Inside tidy() it does nothing: the scope frees memory.
 */
export function endStep(): void {
  if (scopes.length === 0) steps.boundary();
}

/**
 * Ends a training loop: the tensors of its last iteration (the last batch, its loss) go back to
 * the GC, and tensors made from now on are the GC's until the next step boundary. A DataLoader
 * loop calls it when it ends (with its last batch, so that older steps are freed); call it after a
 * hand-written loop to leave step ownership.
 */
export function endSteps(lastBatch?: Disposable): void {
  if (scopes.length === 0) steps.finish(lastBatch);
}
