// Metrics of probabilistic classifiers and ensembles (host-side, float64 accumulation):
// accuracy, NLL, Brier score, ECE with reliability-diagram bins, predictive entropy, mutual
// information, and OOD detection (AUROC, FPR at 95% TPR). Inputs are probabilities [N, C] (or
// member probabilities [M, N, C]) as typed arrays or tensors, and class labels.
export * from './input.js';
export * from './accuracy.js';
export * from './nll.js';
export * from './brier.js';
export * from './calibration.js';
export * from './uncertainty.js';
export * from './ood.js';
