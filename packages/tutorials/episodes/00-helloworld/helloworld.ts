import { FlowSpec, step } from '@flowkit/core';

/**
 * A flow where FlowKit prints 'Hi'.
 * Run it to check that FlowKit is installed correctly.
 */
export default class HelloFlow extends FlowSpec {
  /** Every flow has a step named start: the first step of the flow. */
  @step start() {
    console.log('HelloFlow is starting.');
    this.next(this.hello);
  }

  /** A step for FlowKit to introduce itself. */
  @step hello() {
    console.log('FlowKit says: Hi!');
    this.next(this.end);
  }

  /** Every flow has a step named end: the last step of the flow. */
  @step end() {
    console.log('HelloFlow is all done.');
  }
}
