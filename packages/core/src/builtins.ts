import { makeFlowDecorator, makeStepDecorator } from './decorators';
import { envVarsAttribute, integer, numberAttribute, positive, refuseUnknown } from './attributes';
import { PluginError, errorType } from './errors';
import { sourceMappedStack } from './stackTrace';
import type { LaunchPlan } from './launch';
import type { FlowDecorator, FlowKitPlugin, StepDecorator } from './plugins';
import { MAX_ATTEMPTS } from './store';

/** `@retry({ times = 3, minutesBetweenRetries = 0 })`: run a failed task again, each time as a new attempt. */
export const retry = makeStepDecorator<{ times?: number; minutesBetweenRetries?: number }>('retry');
/** `@timeout({ seconds, minutes, hours })`: kill the task (a failed attempt) when it runs longer. */
export const timeout = makeStepDecorator<{ seconds?: number; minutes?: number; hours?: number }>('timeout');
/** `@resources({ cpu, memory, gpu })`: what the task needs (memory in MB); compute plugins honour it. */
export const resources = makeStepDecorator<{ cpu?: number; memory?: number; gpu?: number }>('resources');
/** `@environment({ vars })`: environment variables for the step's task processes. */
export const environment = makeStepDecorator<{ vars: Record<string, string> }>('environment');
/**
 * `@catchError({ var, printException = true })`: when the step still fails after its retries, store the
 * exception in the artifact `var` and go on as if the step had succeeded. Registered as 'catch'
 * (`--with catch:var=failure`); in TypeScript `catch` is a keyword, hence the name.
 */
export const catchError = makeStepDecorator<{ var?: string; printException?: boolean }>('catch');
/** `@globalEnvironment({ vars })` on the flow class: environment variables for every step; a step's own win. */
export const globalEnvironment = makeFlowDecorator<{ vars: Record<string, string> }>('globalEnvironment');

const retryDecorator: StepDecorator = {
  name: 'retry',
  validate(attributes) {
    refuseUnknown('retry', attributes, ['times', 'minutesBetweenRetries']);
    return {
      times: numberAttribute('retry', attributes, 'times', integer(0, MAX_ATTEMPTS - 1), `a whole number from 0 to ${MAX_ATTEMPTS - 1}`, 3),
      minutesBetweenRetries: numberAttribute('retry', attributes, 'minutesBetweenRetries', (n) => n >= 0, 'a number of minutes ≥ 0', 0),
    };
  },
  onLaunch(attributes, plan: LaunchPlan) {
    plan.userAttempts = (attributes.times as number) + 1;
    plan.retryDelaySeconds = (attributes.minutesBetweenRetries as number) * 60;
  },
};

const timeoutDecorator: StepDecorator = {
  name: 'timeout',
  validate(attributes) {
    refuseUnknown('timeout', attributes, ['seconds', 'minutes', 'hours']);
    const total =
      (numberAttribute('timeout', attributes, 'seconds', (n) => n >= 0, 'a number of seconds ≥ 0') ?? 0) +
      60 * (numberAttribute('timeout', attributes, 'minutes', (n) => n >= 0, 'a number of minutes ≥ 0') ?? 0) +
      3600 * (numberAttribute('timeout', attributes, 'hours', (n) => n >= 0, 'a number of hours ≥ 0') ?? 0);
    if (total <= 0) throw new PluginError('@timeout needs a duration above zero.', { hint: 'e.g. @timeout({ minutes: 10 }) or --with timeout:seconds=600' });
    return { seconds: total };
  },
  onLaunch(attributes, plan) {
    plan.timeoutSeconds = attributes.seconds as number;
  },
};

const resourcesDecorator: StepDecorator = {
  name: 'resources',
  validate(attributes) {
    refuseUnknown('resources', attributes, ['cpu', 'memory', 'gpu']);
    return {
      cpu: numberAttribute('resources', attributes, 'cpu', positive, 'a number of CPUs above 0', 1),
      memory: numberAttribute('resources', attributes, 'memory', integer(1, Number.MAX_SAFE_INTEGER), 'a whole number of MB', 4096),
      gpu: numberAttribute('resources', attributes, 'gpu', integer(0, 1024), 'a whole number of GPUs', 0),
    };
  },
  onLaunch(attributes, plan) {
    plan.resources = { cpu: attributes.cpu as number, memory: attributes.memory as number, gpu: attributes.gpu as number };
  },
};

const environmentDecorator: StepDecorator = {
  name: 'environment',
  validate: (attributes) => ({ vars: envVarsAttribute('environment', attributes) }),
  onLaunch(attributes, plan) {
    Object.assign(plan.env, attributes.vars);
  },
};

/** What @catchError stores: plain data, so it survives serialization and reads the same from the client. */
export interface CaughtException {
  /** The class of the error (a custom exception class keeps its name). */
  type: string;
  message: string;
  stack?: string;
}

export function describeException(error: unknown): CaughtException {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  return { type: errorType(error), message: error.message, stack: error.stack && sourceMappedStack(error.stack) };
}

const catchDecorator: StepDecorator = {
  name: 'catch',
  validate(attributes, step) {
    refuseUnknown('catch', attributes, ['var', 'printException']);
    const name = attributes.var;
    if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name))) {
      throw new PluginError(`@catch: var=${JSON.stringify(name)} is not an artifact name.`, { hint: "e.g. @catchError({ var: 'failure' })" });
    }
    if (step.foreach !== undefined) {
      throw new PluginError(`@catch is not allowed on step '${step.name}', which is a foreach split.`, { hint: 'put it on the steps inside the foreach' });
    }
    return { var: name, printException: attributes.printException !== false && attributes.printException !== 'false' };
  },
  onLaunch(_attributes, plan) {
    plan.fallbackAttempt = true;
  },
  onStepError(context, error) {
    if (context.attempt < context.userAttempts - 1) return false;
    const caught = describeException(error);
    if (context.attributes.printException) {
      const frames = caught.stack?.split('\n').slice(1).join('\n');
      process.stderr.write(`@catch caught ${caught.type}: ${caught.message}${frames ? `\n${frames}` : ''}\n`);
    }
    if (typeof context.attributes.var === 'string') (context.flow as unknown as Record<string, unknown>)[context.attributes.var] = caught;
    return true;
  },
};

const globalEnvironmentDecorator: FlowDecorator = {
  name: 'globalEnvironment',
  validate: (attributes) => ({ vars: envVarsAttribute('globalEnvironment', attributes) }),
  onLaunch(attributes, _step, plan) {
    Object.assign(plan.env, attributes.vars);
  },
};

/** FlowKit's own decorators, registered like any plugin's. */
export const builtinsPlugin: FlowKitPlugin = {
  name: '@flowkit/core',
  register(registry) {
    registry
      .addStepDecorator(retryDecorator)
      .addStepDecorator(timeoutDecorator)
      .addStepDecorator(resourcesDecorator)
      .addStepDecorator(environmentDecorator)
      .addStepDecorator(catchDecorator)
      .addFlowDecorator(globalEnvironmentDecorator);
  },
};
