import { FlowSpec, step } from '@flowkit/core';

/** Metaflow's hello world: three steps. */
export default class HelloFlow extends FlowSpec {
  declare message: string;
  @step start() { this.message = 'hi'; this.next(this.hello); }
  @step hello() { console.log(this.message); this.next(this.end); }
  @step end() {}
}
