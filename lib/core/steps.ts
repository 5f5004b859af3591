// Memory of a training loop written without tidy(), the PyTorch way. Native buffers are freed by
// dispose(), by a tidy() scope, or by the GC, and the GC cannot do it inside a synchronous loop:
// N-API finalisers run on a later turn of the event loop, so a plain loop that never awaits keeps
// every step's activations alive (about 15 MB per step for the seed CNN). The loop's own
// boundaries say when a step's tensors are dead: optimizer.step() and the DataLoader handing out
// the next batch. A tensor made outside any tidy() once such a boundary has passed belongs to the
// current step; at the next boundary it moves to the previous step, and at the one after it is
// freed. So everything an iteration makes (batch, logits, loss) is still usable after
// optimizer.step(), for the rest of the iteration (the tutorial's `loss.item()` after the step),
// and gone before the next step allocates much. Parameters, gradients, optimizer state and
// buffers are kept (keep()) and never step-owned; so is anything the user keep()s. When a
// DataLoader loop ends, the tensors of its last iteration are handed back to the GC, older ones
// freed, and the steps stop owning tensors until the next boundary (endSteps() does the same
// after a hand-written loop). If another loop starts (the next epoch), that last iteration counts
// as the step before its first one and is freed at its second boundary, as any iteration is: the
// GC could not free it inside a synchronous loop either. Disposing a handle also frees Node's
// bookkeeping of it at once (native/binding/tensor_handle.h), so nothing waits for the event loop.
//
// This module has no imports, so lib/core/scope.ts (which owns tidy()) can build on it.

export interface StepOwned {
  dispose(): void;
  readonly disposed: boolean;
  /** Back to GC ownership (the native side reports the storage as external memory again). */
  escapedScopes?(): void;
}

/**
 * A current step that grows past this many tensors without a boundary is not a training step
 * (code after a hand-written loop that never steps again): it goes back to the GC.
 */
export const MAX_STEP_TENSORS = 20_000;

class TrainingSteps {
  /** True between a step boundary and the end of the loop: new tensors belong to the current step. */
  active = false;
  /** Boundaries passed so far (optimizer steps and batches handed out). */
  boundaries = 0;
  /** Set by scope.ts: the native side must learn when the steps start or stop owning new handles. */
  onOwnershipChange: () => void = () => {};
  private currentStep = new Set<StepOwned>();
  private previousStep = new Set<StepOwned>();
  /** The last iteration of the loop that ended (the GC's now): freed one step into the next loop. */
  private lastLoop = new Set<StepOwned>();

  /** Makes t the current step's when the steps own new tensors; returns whether they do. */
  adopt(t: StepOwned): boolean {
    if (!this.active) return false;
    this.currentStep.add(t);
    if (this.currentStep.size > MAX_STEP_TENSORS) this.overflow();
    return true;
  }

  /** Takes t out of the steps (kept, or freed by someone else); returns whether they held it. */
  release(t: StepOwned): boolean {
    if (!this.active && this.currentStep.size === 0 && this.lastLoop.size === 0) return false;
    return this.currentStep.delete(t) || this.previousStep.delete(t) || this.lastLoop.delete(t);
  }

  /** The set that owns t, if a step does. */
  owner(t: StepOwned): Set<StepOwned> | undefined {
    if (this.currentStep.has(t)) return this.currentStep;
    if (this.previousStep.has(t)) return this.previousStep;
    if (this.lastLoop.has(t)) return this.lastLoop;
    return undefined;
  }

  current(): Set<StepOwned> | undefined {
    return this.active ? this.currentStep : undefined;
  }

  /** A step ended: free the step before it and start a new one. */
  boundary(): void {
    freeAll(this.previousStep);
    this.previousStep = this.currentStep;
    this.currentStep = new Set();
    this.boundaries++;
    if (!this.active) {
      // A loop starts: the last loop's final iteration is the step before this one.
      for (const t of this.lastLoop) this.previousStep.add(t);
      this.lastLoop.clear();
      this.active = true;
      this.onOwnershipChange();
    }
  }

  /**
   * The loop is over: the tensors of its last iteration go back to the GC (the caller may still
   * use the last loss). When `lastBatch` (the last batch handed out) is in the current step, the
   * previous step is older than the last iteration and is freed; otherwise it is handed back too.
   */
  finish(lastBatch?: StepOwned): void {
    if (lastBatch && this.currentStep.has(lastBatch)) freeAll(this.previousStep);
    else handBack(this.previousStep, this.lastLoop);
    handBack(this.currentStep, this.lastLoop);
    if (this.active) {
      this.active = false;
      this.onOwnershipChange();
    }
  }

  /** Not a training step after all (see MAX_STEP_TENSORS): everything goes back to the GC for good. */
  private overflow(): void {
    handBack(this.previousStep);
    handBack(this.currentStep);
    this.active = false;
    this.onOwnershipChange();
  }

  /** How many tensors the steps hold now (tests, diagnostics). */
  get size(): number {
    return this.currentStep.size + this.previousStep.size + this.lastLoop.size;
  }
}

function freeAll(s: Set<StepOwned>): void {
  for (const t of s) if (!t.disposed) t.dispose();
  s.clear();
}

/** Hands s back to the GC; `until`, when given, still remembers them (see TrainingSteps.lastLoop). */
function handBack(s: Set<StepOwned>, until?: Set<StepOwned>): void {
  for (const t of s)
    if (!t.disposed) {
      t.escapedScopes?.();
      until?.add(t);
    }
  s.clear();
}

/** The training steps of this process (one loop at a time owns them). */
export const steps = new TrainingSteps();

export function stepOwner(t: StepOwned): Set<StepOwned> | undefined {
  return steps.owner(t);
}
