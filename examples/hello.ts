import { FlowSpec, Parameter, current, step } from '@flowkit/core';

/** A flow where FlowKit says hi: the smallest complete flow. */
export default class HelloFlow extends FlowSpec {
  greeting = Parameter('greeting', { help: 'What to say', default: 'Hi' });
  declare message: string;

  /** Every flow starts with a step named start. */
  @step start() {
    console.log(`HelloFlow is starting (run ${current.runId}).`);
    this.next(this.hello);
  }

  /** A step for FlowKit to introduce itself. */
  @step hello() {
    this.message = `${this.greeting} from FlowKit!`;
    console.log(this.message);
    this.next(this.end);
  }

  /** Every flow ends with a step named end. */
  @step end() {
    console.log(`HelloFlow is all done: ${this.message}`);
  }
}
