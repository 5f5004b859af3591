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
// DataLoader loop ends, the older step is freed and the newer one handed back to the GC, and the
// steps stop owning tensors until the next boundary.
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

  /** Makes t the current step's when the steps own new tensors; returns whether they do. */
  adopt(t: StepOwned): boolean {
    if (!this.active) return false;
    this.currentStep.add(t);
    if (this.currentStep.size > MAX_STEP_TENSORS) this.finish(false);
    return true;
  }

  /** Takes t out of the steps (kept, or freed by someone else); returns whether they held it. */
  release(t: StepOwned): boolean {
    if (!this.active && this.currentStep.size === 0) return false;
    return this.currentStep.delete(t) || this.previousStep.delete(t);
  }

  /** The set that owns t, if a step does. */
  owner(t: StepOwned): Set<StepOwned> | undefined {
    if (this.currentStep.has(t)) return this.currentStep;
    if (this.previousStep.has(t)) return this.previousStep;
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
      this.active = true;
      this.onOwnershipChange();
    }
  }

  /**
   * The loop is over. With `freeOlder`, the previous step is freed (nothing of the loop's body can
   * still refer to it but a tensor carried across iterations, which a boundary would have freed
   * anyway); the current step's tensors (the last batch, its loss) go back to the GC.
   */
  finish(freeOlder = true): void {
    if (freeOlder) freeAll(this.previousStep);
    else handBack(this.previousStep);
    handBack(this.currentStep);
    if (this.active) {
      this.active = false;
      this.onOwnershipChange();
    }
  }

  /** How many tensors the steps hold now (tests, diagnostics). */
  get size(): number {
    return this.currentStep.size + this.previousStep.size;
  }
}

function freeAll(s: Set<StepOwned>): void {
  for (const t of s) if (!t.disposed) t.dispose();
  s.clear();
}

function handBack(s: Set<StepOwned>): void {
  for (const t of s) if (!t.disposed) t.escapedScopes?.();
  s.clear();
}

/** The training steps of this process (one loop at a time owns them). */
export const steps = new TrainingSteps();

export function stepOwner(t: StepOwned): Set<StepOwned> | undefined {
  return steps.owner(t);
}
