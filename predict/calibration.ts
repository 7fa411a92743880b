/**
 * Reliability of predicted probabilities: predictions are binned by their probability, and each bin's mean
 * prediction is set against how often the predicted thing happened. Expected calibration error (ECE) is the
 * prediction-weighted mean gap between the two; 0 means the probabilities mean what they say.
 */

export interface ReliabilityBin {
  /** Probability range [from, to) of the bin (the last bin includes 1). */
  from: number;
  to: number;
  predictions: number;
  /** Mean predicted probability in the bin. */
  meanPredicted: number;
  /** Share of the bin's predictions that came true. */
  observed: number;
}

export interface Reliability {
  predictions: number;
  /** Expected calibration error: sum over bins of (bin share) x |observed - meanPredicted|. */
  ece: number;
  /** Mean predicted probability and overall hit rate (a gap here is a bias, not only noise). */
  meanPredicted: number;
  observed: number;
  /** Non-empty bins only, lowest probabilities first. */
  bins: ReliabilityBin[];
}

export class ReliabilityTally {
  private readonly n: Float64Array;
  private readonly sumP: Float64Array;
  private readonly hits: Float64Array;

  constructor(readonly binCount = 10) {
    this.n = new Float64Array(binCount);
    this.sumP = new Float64Array(binCount);
    this.hits = new Float64Array(binCount);
  }

  add(p: number, happened: boolean): void {
    if (!(p >= 0 && p <= 1)) throw new Error(`a probability must be in [0, 1], got ${p}`);
    const b = Math.min(this.binCount - 1, Math.floor(p * this.binCount));
    this.n[b]++;
    this.sumP[b] += p;
    if (happened) this.hits[b]++;
  }

  result(): Reliability {
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    let total = 0;
    let sumP = 0;
    let hits = 0;
    for (let b = 0; b < this.binCount; b++) (total += this.n[b]), (sumP += this.sumP[b]), (hits += this.hits[b]);
    let ece = 0;
    const bins: ReliabilityBin[] = [];
    for (let b = 0; b < this.binCount; b++) {
      const n = this.n[b];
      if (n === 0) continue;
      const meanPredicted = this.sumP[b] / n;
      const observed = this.hits[b] / n;
      ece += (n / total) * Math.abs(observed - meanPredicted);
      bins.push({ from: r4(b / this.binCount), to: r4((b + 1) / this.binCount), predictions: n, meanPredicted: r4(meanPredicted), observed: r4(observed) });
    }
    return { predictions: total, ece: r4(ece), meanPredicted: r4(sumP / (total || 1)), observed: r4(hits / (total || 1)), bins };
  }
}
