import { FlowSpec, current, resources, retry, step } from '@flowkit/core';

/**
 * A flow where FlowKit says 'Hi' from AWS.
 * Run it with `--with batch` and an S3 datastore to check your cloud configuration.
 */
export default class HelloAWSFlow extends FlowSpec {
  declare message: string;

  /** A regular step. */
  @step start() {
    console.log(`HelloAWS is starting (${current.pathspec}).`);
    this.next(this.hello);
  }

  /**
   * With `--with batch` this step runs as an AWS Batch job with 1 CPU and 500 MB; @retry runs it again
   * if something goes wrong. Its artifact goes to S3, where any machine can read it.
   */
  @resources({ cpu: 1, memory: 500 })
  @retry({ times: 2 })
  @step
  hello() {
    this.message = 'Hi from AWS!';
    console.log(`FlowKit says: ${this.message}`);
    this.next(this.end);
  }

  /** The last step. */
  @step end() {
    console.log('HelloAWS is finished.');
  }
}
