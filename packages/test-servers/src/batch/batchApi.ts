import {
  JOB_STATUSES,
  batchFields,
  mergeByKey,
  readEnvironment,
  readLegacyResources,
  readResources,
  readRetryAttempts,
  readSecrets,
  readTimeoutSeconds,
  type ContainerSpec,
  type JobHost,
  type JobQueue,
  type JobStatus,
} from './batchModel';
import type { Fields } from './fields';
import { JobDefinitionRegistry } from './jobDefinitions';
import { BatchJob } from './jobs';
import { ACCOUNT, clientException, decodeOffsetToken, page, type Json } from './wire';

/** The operations served, by the lowercase path segment the SDK posts to (`/v1/submitjob`). */
export const BATCH_OPERATIONS: ReadonlyMap<string, string> = new Map(
  [
    'RegisterJobDefinition',
    'DescribeJobDefinitions',
    'DeregisterJobDefinition',
    'SubmitJob',
    'DescribeJobs',
    'ListJobs',
    'TerminateJob',
    'CancelJob',
    'DescribeJobQueues',
  ].map((name) => [name.toLowerCase(), name]),
);

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** SubmitJob's request size limit. */
const MAX_JOB_BYTES = 30 * 1024;
const UNSUPPORTED_SUBMIT_MEMBERS = ['arrayProperties', 'nodeOverrides', 'eksPropertiesOverride', 'ecsPropertiesOverride'];

/** The Batch control plane: queues, job definitions and jobs, answering one operation at a time. */
export class BatchService {
  readonly definitions: JobDefinitionRegistry;
  /** By name; submission order is kept by the Map. */
  readonly jobs = new Map<string, BatchJob>();
  private readonly queues = new Map<string, JobQueue>();

  constructor(
    queueNames: string[],
    private readonly minimumTimeoutSeconds: number,
    private readonly host: JobHost,
  ) {
    this.definitions = new JobDefinitionRegistry(host.region, minimumTimeoutSeconds);
    for (const name of queueNames) {
      const computeEnvironmentName = `${name}-ce`;
      this.queues.set(name, {
        name,
        arn: `arn:aws:batch:${host.region}:${ACCOUNT}:job-queue/${name}`,
        computeEnvironmentName,
        computeEnvironmentArn: `arn:aws:batch:${host.region}:${ACCOUNT}:compute-environment/${computeEnvironmentName}`,
      });
    }
  }

  handle(operation: string, input: Json): Json {
    const fields = batchFields(input);
    switch (operation) {
      case 'RegisterJobDefinition': {
        const { jobDefinitionName, jobDefinitionArn, revision } = this.definitions.register(fields);
        return { jobDefinitionName, jobDefinitionArn, revision };
      }
      case 'DescribeJobDefinitions':
        return { ...this.definitions.describe(fields) };
      case 'DeregisterJobDefinition':
        this.definitions.deregister(fields.requiredString('jobDefinition'));
        return {};
      case 'SubmitJob': {
        const job = this.submit(fields);
        return { jobArn: job.jobArn, jobName: job.spec.jobName, jobId: job.jobId };
      }
      case 'DescribeJobs':
        return this.describeJobs(fields);
      case 'ListJobs':
        return this.listJobs(fields);
      case 'TerminateJob':
        this.job(fields.requiredString('jobId')).terminate(fields.requiredString('reason'));
        return {};
      case 'CancelJob':
        this.job(fields.requiredString('jobId')).cancel(fields.requiredString('reason'));
        return {};
      case 'DescribeJobQueues':
        return this.describeJobQueues(fields);
      default:
        throw clientException(`Operation ${operation} is not implemented by the test server.`);
    }
  }

  queue(ref: string): JobQueue {
    const name = /^arn:[^:]+:batch:[^:]*:[^:]*:job-queue\/(.+)$/.exec(ref)?.[1] ?? ref;
    const queue = this.queues.get(name);
    if (queue === undefined) {
      throw clientException(`JobQueue ${ref} not found. Known queues: ${[...this.queues.keys()].join(', ') || '(none)'}.`);
    }
    return queue;
  }

  job(ref: string): BatchJob {
    const job = this.jobs.get(ref.replace(/^arn:.*:job\//, ''));
    if (job === undefined) throw clientException(`Job ${ref} not found.`);
    return job;
  }

  private submit(fields: Fields): BatchJob {
    const size = Buffer.byteLength(JSON.stringify(fields.raw));
    if (size > MAX_JOB_BYTES) throw clientException(`Job size must be less than 30 KiB, got ${Math.ceil(size / 1024)} KiB`);
    const jobName = fields.requiredString('jobName');
    if (!JOB_NAME.test(jobName)) {
      throw clientException(
        `jobName ${JSON.stringify(jobName)} must start with a letter or number and have up to 128 letters, numbers, hyphens or underscores.`,
      );
    }
    const unsupported = UNSUPPORTED_SUBMIT_MEMBERS.filter((member) => fields.has(member));
    if ((fields.objects('dependsOn') ?? []).length > 0) unsupported.push('dependsOn');
    if (unsupported.length > 0) throw clientException(`${unsupported.join(', ')} not supported by the test server.`);
    const queue = this.queue(fields.requiredString('jobQueue'));
    const definition = this.definitions.resolve(fields.requiredString('jobDefinition'));
    const parameters = { ...definition.parameters, ...fields.stringMap('parameters') };
    const job = new BatchJob(
      {
        jobName,
        queue,
        definition,
        container: this.container(batchFields(definition.containerProperties), fields.object('containerOverrides'), parameters),
        parameters,
        attempts: readRetryAttempts(fields) ?? definition.retryStrategy?.attempts ?? 1,
        timeoutSeconds: readTimeoutSeconds(fields, this.minimumTimeoutSeconds) ?? definition.timeout?.attemptDurationSeconds,
        tags: fields.stringMap('tags') ?? {},
        propagateTags: fields.boolean('propagateTags') ?? definition.propagateTags,
      },
      this.host,
    );
    this.jobs.set(job.jobId, job);
    return job;
  }

  /** The job definition's container with the overrides applied, and `Ref::name` arguments substituted. */
  private container(properties: Fields, overrides: Fields | undefined, parameters: Record<string, string>): ContainerSpec {
    // An empty override list is treated as no override, so the job definition's command applies.
    const override = overrides?.strings('command');
    const command = (override?.length ? override : (properties.strings('command') ?? [])).map((arg) =>
      arg.startsWith('Ref::') ? (parameters[arg.slice('Ref::'.length)] ?? arg) : arg,
    );
    if (command.length === 0) {
      throw clientException(
        'The job has no command: the test server never runs an image, so there is no default command to fall back to. ' +
          'Set containerProperties.command or containerOverrides.command.',
      );
    }
    const pick = <T>(read: (source: Fields) => T | undefined): [T | undefined, T | undefined] => [
      read(properties),
      overrides === undefined ? undefined : read(overrides),
    ];
    const [environment, environmentOverride] = pick((source) => readEnvironment(source, 'environment'));
    const [resources, resourcesOverride] = pick((source) => readResources(source, 'resourceRequirements'));
    const [legacy, legacyOverride] = pick(readLegacyResources);
    const jobRoleArn = properties.string('jobRoleArn');
    return {
      properties: properties.raw,
      image: properties.requiredString('image'),
      command,
      environment: mergeByKey(environment, environmentOverride, (pair) => pair.name),
      secrets: readSecrets(properties, 'secrets') ?? [],
      resourceRequirements: mergeByKey(resources, resourcesOverride, (requirement) => requirement.type),
      ...legacy,
      ...legacyOverride,
      ...(jobRoleArn !== undefined && { jobRoleArn }),
    };
  }

  private describeJobs(fields: Fields): Json {
    const refs = fields.strings('jobs');
    if (refs === undefined || refs.length > 100) throw clientException('jobs must be a list of up to 100 job IDs.');
    // Unknown IDs are left out rather than failing the call, as AWS does.
    const jobs = refs.flatMap((ref) => {
      const job = this.jobs.get(ref.replace(/^arn:.*:job\//, ''));
      return job === undefined ? [] : [job.toDetail()];
    });
    return { jobs };
  }

  /** By queue and status (RUNNING when none is given, as AWS does), or by one filter, newest first. */
  private listJobs(fields: Fields): Json {
    if (fields.has('arrayJobId') || fields.has('multiNodeJobId')) {
      throw clientException('Array and multi-node jobs are not supported by the test server.');
    }
    const queueRef = fields.string('jobQueue');
    if (queueRef === undefined) throw clientException('jobQueue must be specified.');
    const queue = this.queue(queueRef);
    let jobs = [...this.jobs.values()].filter((job) => job.spec.queue === queue);
    const filters = fields.objects('filters') ?? [];
    let maxResults = 1000;
    if (filters.length > 0) {
      const [filter, ...others] = filters;
      if (filter === undefined || others.length > 0) throw clientException('Only one filter can be used at a time.');
      const matches = jobFilter(filter);
      // Newest first; jobs created in the same millisecond, last submitted first.
      jobs = jobs.filter(matches).reverse().sort((a, b) => b.createdAt - a.createdAt);
      maxResults = 100;
    } else {
      const status = fields.string('jobStatus') ?? 'RUNNING';
      if (!JOB_STATUSES.includes(status as JobStatus)) {
        throw clientException(`jobStatus ${status} is not one of ${JOB_STATUSES.join(', ')}.`);
      }
      jobs = jobs.filter((job) => job.status === status);
    }
    const limit = Math.min(fields.integer('maxResults', 1) ?? maxResults, maxResults);
    const { items, nextToken } = page(jobs, decodeOffsetToken(fields.string('nextToken'), clientException), limit);
    return { jobSummaryList: items.map((job) => job.toSummary()), ...(nextToken !== undefined && { nextToken }) };
  }

  private describeJobQueues(fields: Fields): Json {
    const refs = fields.strings('jobQueues');
    const queues = refs === undefined ? [...this.queues.values()] : refs.flatMap((ref) => {
      try {
        return [this.queue(ref)];
      } catch {
        return [];
      }
    });
    const limit = fields.integer('maxResults', 1, 100) ?? 100;
    const { items, nextToken } = page(queues, decodeOffsetToken(fields.string('nextToken'), clientException), limit);
    const jobQueues = items.map((queue) => ({
      jobQueueName: queue.name,
      jobQueueArn: queue.arn,
      state: 'ENABLED',
      status: 'VALID',
      statusReason: 'JobQueue Healthy',
      priority: 1,
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: queue.computeEnvironmentArn }],
      jobQueueType: 'ECS',
      tags: {},
      jobStateTimeLimitActions: [],
    }));
    return { jobQueues, ...(nextToken !== undefined && { nextToken }) };
  }
}

/** ListJobs' filters: JOB_NAME and JOB_DEFINITION (a trailing `*` matches a prefix), BEFORE/AFTER_CREATED_AT. */
function jobFilter(filter: Fields): (job: BatchJob) => boolean {
  const name = filter.requiredString('name');
  const [value, ...extra] = filter.strings('values') ?? [];
  if (value === undefined || extra.length > 0) throw clientException(`Filter ${name} must have exactly one value.`);
  const like = (actual: string, caseless: boolean): boolean => {
    const [a, v] = caseless ? [actual.toLowerCase(), value.toLowerCase()] : [actual, value];
    return v.endsWith('*') ? a.startsWith(v.slice(0, -1)) : a === v;
  };
  switch (name) {
    case 'JOB_NAME':
      return (job) => like(job.spec.jobName, true);
    case 'JOB_DEFINITION':
      return value.startsWith('arn:')
        ? (job) => job.spec.definition.jobDefinitionArn === value
        : (job) => like(job.spec.definition.jobDefinitionName, false);
    case 'BEFORE_CREATED_AT':
    case 'AFTER_CREATED_AT': {
      const time = Number(value);
      if (!/^\d+$/.test(value)) throw clientException(`Filter ${name} value ${value} must be milliseconds since the epoch.`);
      return name === 'BEFORE_CREATED_AT' ? (job) => job.createdAt < time : (job) => job.createdAt > time;
    }
    default:
      throw clientException(`Filter ${name} is not supported: use JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT or AFTER_CREATED_AT.`);
  }
}
