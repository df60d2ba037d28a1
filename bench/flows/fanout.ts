import { FlowSpec, Inputs, Parameter, step } from '@flowkit/core';

/** A foreach of `width` empty tasks; the join fails when FAIL_JOIN is set (for the resume benchmark). */
export default class FanoutFlow extends FlowSpec {
  width = Parameter('width', { default: 500 });
  declare items: number[];
  declare value: number;
  @step start() { this.items = Array.from({ length: this.width }, (_, i) => i); this.next(this.body, { foreach: 'items' }); }
  @step body() { this.value = this.input as number; this.next(this.join); }
  @step join(inputs: Inputs<FanoutFlow>) {
    if (process.env.FAIL_JOIN) throw new Error('join fails on purpose');
    this.value = inputs.length;
    this.next(this.end);
  }
  @step end() {}
}
