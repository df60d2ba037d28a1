import { randomFillSync } from 'node:crypto';
import { FlowSpec, Parameter, step } from '@flowkit/core';

/** One step makes a large Float64Array and a 100k-entry Map, the next reads both; `store` off keeps them local (baseline). */
export default class ArtifactFlow extends FlowSpec {
  megabytes = Parameter('megabytes', { default: 512 });
  store = Parameter('store', { default: true });
  declare weights: Float64Array;
  declare lookup: Map<string, number>;
  @step start() {
    const weights = new Float64Array((this.megabytes * 1024 * 1024) / 8);
    randomFillSync(weights);
    const index = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) index.set(`key-${i}`, i);
    if (this.store) {
      this.weights = weights;
      this.lookup = index;
    }
    this.next(this.check);
  }
  @step check() {
    if (this.store && (this.weights.length !== (this.megabytes * 1024 * 1024) / 8 || this.lookup.size !== 100_000)) throw new Error('artifacts came back wrong');
    this.next(this.end);
  }
  @step end() {}
}
