/** The flows the Step Functions tests deploy: every shape the compiler has (linear, branch, foreach, nested foreach), retries and failure, schedules. */

export const LINEAR_FLOW = `
import { FlowSpec, Parameter, catchError, current, retry, step } from '@flowkit/core';

export default class LinearFlow extends FlowSpec {
  mode = Parameter('mode', { default: 'retry' });
  greeting = Parameter('greeting', { default: 'hi' });
  declare attempts: number;
  declare message: string;
  declare failure: unknown;

  @step start() {
    this.message = this.greeting;
    this.next(this.work);
  }
  @retry({ times: 1 }) @step work() {
    console.log('attempt', current.retryCount, 'mode', this.mode);
    if (this.mode === 'retry' && current.retryCount === 0) throw new Error('the first attempt fails');
    this.attempts = current.retryCount + 1;
    this.message = \`\${this.message} after \${this.attempts}\`;
    this.next(this.guarded);
  }
  @catchError({ var: 'failure' }) @step guarded() {
    if (this.mode === 'retry') throw new Error('guarded fails');
    this.next(this.end);
  }
  @step end() {
    if (this.mode === 'fail') throw new Error('the end fails');
    console.log('message', this.message, 'failure', this.failure ? 'caught' : 'none');
  }
}
`;

export const BRANCH_FLOW = `
import { FlowSpec, step, type Inputs } from '@flowkit/core';

export default class BranchFlow extends FlowSpec {
  declare base: number;
  declare side: string;
  declare sides: string[];

  @step start() {
    this.base = 7;
    this.next(this.left, this.right);
  }
  @step left() {
    this.side = 'L' + this.base;
    this.next(this.join);
  }
  @step right() {
    this.side = 'R' + this.base * 2;
    this.next(this.join);
  }
  @step join(inputs: Inputs<BranchFlow>) {
    this.sides = inputs.map((input) => input.side);
    this.mergeArtifacts(inputs, { include: ['base'] });
    this.next(this.end);
  }
  @step end() {
    console.log('sides', this.sides.join(','));
  }
}
`;

export const NESTED_FOREACH_FLOW = `
import { FlowSpec, step, type Inputs } from '@flowkit/core';

export default class NestedFlow extends FlowSpec {
  declare rows: number[];
  declare cols: string[];
  declare rowNo: number;
  declare cell: string;
  declare row: string[];
  declare grid: string[][];

  @step start() {
    this.rows = [1, 2];
    this.next(this.outer, { foreach: 'rows' });
  }
  @step outer() {
    this.rowNo = this.input as number;
    this.cols = ['a', 'b'];
    this.next(this.inner, { foreach: 'cols' });
  }
  @step inner() {
    this.cell = \`\${this.rowNo}\${this.input}\`;
    this.next(this.inner_join);
  }
  @step inner_join(inputs: Inputs<NestedFlow>) {
    this.row = inputs.map((input) => input.cell);
    this.next(this.outer_join);
  }
  @step outer_join(inputs: Inputs<NestedFlow>) {
    this.grid = inputs.map((input) => input.row);
    this.next(this.end);
  }
  @step end() {
    console.log('grid', JSON.stringify(this.grid));
  }
}
`;

/** Two steps that record themselves with the metadata service, which takes only calls bearing its token. */
export const SECRET_FLOW = `
import { FlowSpec, step } from '@flowkit/core';

export default class SecretFlow extends FlowSpec {
  declare where: string;

  @step start() {
    this.where = process.env.AWS_BATCH_JOB_ID ? 'batch' : 'here';
    this.next(this.end);
  }
  @step end() {}
}
`;

/** A flow with `@schedule` as written in `decorator` (none when empty), whose start step keeps the `code` parameter as given. */
export function scheduledFlow(className: string, decorator: string): string {
  return `
import { FlowSpec, Parameter, step } from '@flowkit/core';
import { schedule } from '@flowkit/scheduler-stepfunctions';

${decorator}
export default class ${className} extends FlowSpec {
  code = Parameter('code', { default: 'none' });
  times = Parameter('times', { default: 1 });
  declare seen: string;

  @step start() {
    this.seen = this.code;
    this.next(this.end);
  }
  @step end() {
    console.log('seen', this.seen);
  }
}
`;
}

/** An IncludeFile with a default path: read where the flow is deployed or triggered, never in the job. */
export const INCLUDE_FLOW = `
import { FlowSpec, IncludeFile, step } from '@flowkit/core';

export default class IncludeFlow extends FlowSpec {
  data = IncludeFile('data', { default: 'data.csv' });
  declare rows: number;

  @step start() {
    this.rows = this.data.trim().split('\\n').length;
    this.next(this.end);
  }
  @step end() {}
}
`;

/** A step that blocks its thread far past its @timeout: only a kill from outside the task can stop it. */
export const TIMEOUT_FLOW = `
import { FlowSpec, catchError, current, retry, step, timeout } from '@flowkit/core';

export default class TimeoutFlow extends FlowSpec {
  declare failure: unknown;

  @step start() {
    this.next(this.slow);
  }
  @catchError({ var: 'failure' }) @retry({ times: 1 }) @timeout({ seconds: 5 }) @step slow() {
    console.log('sleeping, attempt', current.retryCount);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300000);
    this.next(this.end);
  }
  @step end() {
    console.log('caught', String((this.failure as Error).message));
  }
}
`;

/** A step that outlives the run on Step Functions (a Batch job) and ends at once when resumed here. */
export const STOPPED_FLOW = `
import { FlowSpec, step } from '@flowkit/core';

export default class StoppedFlow extends FlowSpec {
  declare done: string[];

  @step start() {
    this.done = ['start'];
    this.next(this.slow);
  }
  @step slow() {
    console.log('slow starts');
    if (process.env.AWS_BATCH_JOB_ID) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300000);
    this.done = [...this.done, 'slow'];
    this.next(this.end);
  }
  @step end() {
    console.log('done', this.done.join(','));
  }
}
`;

/** A step that runs for several heartbeat timeouts of a metadata service that reaps silent runs and tasks. */
export const LONG_STEP_FLOW = `
import { FlowSpec, step } from '@flowkit/core';

export default class LongStepFlow extends FlowSpec {
  declare napped: boolean;

  @step start() {
    this.next(this.nap);
  }
  @step async nap() {
    await new Promise((resolve) => setTimeout(resolve, 8000));
    this.napped = true;
    this.next(this.end);
  }
  @step end() {}
}
`;
