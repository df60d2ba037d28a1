import {
  readEnvironment,
  readLegacyResources,
  readResources,
  readSecrets,
  readRetryAttempts,
  readTimeoutSeconds,
} from './batchModel';
import type { Fields } from './fields';
import { ACCOUNT, clientException, decodeOffsetToken, page, type Json } from './wire';

/** One registered revision, kept in the shape DescribeJobDefinitions returns it. */
export interface JobDefinition {
  jobDefinitionName: string;
  jobDefinitionArn: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  type: 'container';
  parameters: Record<string, string>;
  /** As registered (validated), so DescribeJobDefinitions echoes what the client sent. */
  containerProperties: Json;
  retryStrategy?: { attempts: number };
  timeout?: { attemptDurationSeconds: number };
  tags: Record<string, string>;
  propagateTags: boolean;
  platformCapabilities: string[];
  containerOrchestrationType: 'ECS';
}

const NAME = /^[A-Za-z0-9_-]{1,128}$/;
const ARN = /^arn:[^:]+:batch:[^:]*:[^:]*:job-definition\/(.+)$/;

/** Job definitions by name, each name's revisions numbered from 1 in registration order. */
export class JobDefinitionRegistry {
  private readonly byName = new Map<string, JobDefinition[]>();

  constructor(
    private readonly region: string,
    private readonly minimumTimeoutSeconds: number,
  ) {}

  register(input: Fields): JobDefinition {
    const name = input.requiredString('jobDefinitionName');
    if (!NAME.test(name)) {
      throw clientException(`jobDefinitionName ${JSON.stringify(name)} must be 1-128 letters, numbers, hyphens or underscores.`);
    }
    const type = input.requiredString('type');
    if (type !== 'container') {
      throw clientException(`Job definition type ${type} is not supported by the test server: only single-node "container" jobs run here.`);
    }
    const container = input.object('containerProperties');
    if (container === undefined) throw clientException('containerProperties must be specified for a container job definition.');
    container.requiredString('image');
    container.strings('command');
    readEnvironment(container, 'environment');
    readSecrets(container, 'secrets');
    readResources(container, 'resourceRequirements');
    readLegacyResources(container);
    const attempts = readRetryAttempts(input);
    const seconds = readTimeoutSeconds(input, this.minimumTimeoutSeconds);
    const revisions = this.byName.get(name) ?? [];
    const revision = revisions.length + 1;
    const definition: JobDefinition = {
      jobDefinitionName: name,
      jobDefinitionArn: `arn:aws:batch:${this.region}:${ACCOUNT}:job-definition/${name}:${revision}`,
      revision,
      status: 'ACTIVE',
      type,
      parameters: input.stringMap('parameters') ?? {},
      containerProperties: container.raw,
      ...(attempts !== undefined && { retryStrategy: { attempts } }),
      ...(seconds !== undefined && { timeout: { attemptDurationSeconds: seconds } }),
      tags: input.stringMap('tags') ?? {},
      propagateTags: input.boolean('propagateTags') ?? false,
      platformCapabilities: input.strings('platformCapabilities') ?? ['EC2'],
      containerOrchestrationType: 'ECS',
    };
    this.byName.set(name, [...revisions, definition]);
    return definition;
  }

  describe(input: Fields): { jobDefinitions: JobDefinition[]; nextToken?: string } {
    const refs = input.strings('jobDefinitions');
    const name = input.string('jobDefinitionName');
    const status = input.string('status');
    const limit = input.integer('maxResults', 1, 100) ?? 100;
    let found = [...this.byName.values()].flat();
    if (refs !== undefined) found = refs.flatMap((ref) => this.lookup(ref));
    if (name !== undefined) found = found.filter((d) => d.jobDefinitionName === name);
    if (status !== undefined) found = found.filter((d) => d.status === status);
    const { items, nextToken } = page(found, decodeOffsetToken(input.string('nextToken'), clientException), limit);
    return { jobDefinitions: items, ...(nextToken !== undefined && { nextToken }) };
  }

  /** AWS needs a revision here: a bare name would be ambiguous. */
  deregister(ref: string): void {
    const [definition] = this.lookup(ref);
    if (definition === undefined || !/:\d+$/.test(ref)) {
      throw clientException(`Job definition ${ref} was not found: pass name:revision or the job definition ARN.`);
    }
    definition.status = 'INACTIVE';
  }

  /** SubmitJob's reference: a name means its latest ACTIVE revision; name:revision and ARNs are exact. */
  resolve(ref: string): JobDefinition {
    const candidates = this.lookup(ref).filter((d) => d.status === 'ACTIVE');
    const definition = candidates[candidates.length - 1];
    if (definition === undefined) {
      throw clientException(`Job definition ${ref} does not exist or is inactive. Register it with RegisterJobDefinition first.`);
    }
    return definition;
  }

  /** Every revision a reference (name, name:revision or ARN) can mean, oldest first. */
  private lookup(ref: string): JobDefinition[] {
    const bare = ARN.exec(ref)?.[1] ?? ref;
    const match = /^(.*):(\d+)$/.exec(bare);
    const name = match?.[1] ?? bare;
    const revisions = this.byName.get(name) ?? [];
    if (match === null) return revisions;
    const revision = Number(match[2]);
    return revisions.filter((d) => d.revision === revision);
  }
}
