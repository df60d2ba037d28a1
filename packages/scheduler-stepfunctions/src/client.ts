import type { SFNClient } from '@aws-sdk/client-sfn';
import { PluginError, networkFailure, type Config } from '@flowkit/core/plugin';
import { sfnSdk } from './sdk';
import { StepFunctionsSettings } from './settings';

export function sfnClient(config: Config): SFNClient {
  return new (sfnSdk().SFNClient)({ endpoint: config.get(StepFunctionsSettings.endpoint), maxAttempts: 8 });
}

/** The state machine of a flow: its name with the configured prefix, within Step Functions' naming rules. */
export function stateMachineName(config: Config, flowName: string): string {
  const name = `${config.get(StepFunctionsSettings.prefix) ?? ''}${flowName}`;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw new PluginError(`'${name}' cannot name a state machine (1-80 letters, digits, - and _).`, { hint: `shorten the flow's name or ${StepFunctionsSettings.prefix}` });
  }
  return name;
}

/** The ARN of the state machine of that name, if one exists. */
export async function findStateMachine(client: SFNClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(new (sfnSdk().ListStateMachinesCommand)({ nextToken }));
    const found = page.stateMachines?.find((machine) => machine.name === name);
    if (found) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** The ARN of a flow's deployed state machine, or a clear error saying to create it. */
export async function deployedStateMachine(client: SFNClient, name: string): Promise<string> {
  const arn = await findStateMachine(client, name);
  if (!arn) throw new PluginError(`No state machine named ${name} is deployed.`, { hint: 'run flowkit step-functions create <flow file> first' });
  return arn;
}

const NO_CREDENTIALS_HINT = 'set AWS_PROFILE (a profile in ~/.aws/config; `aws sso login` for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them';

/**
 * Fails in one line when the SDK's default chain finds no credentials, so `create` stops before it uploads or
 * registers anything (the first call to fail would otherwise be the code package's upload, named as an S3 write).
 */
export async function requireCredentials(config: Config, flowName: string): Promise<void> {
  const client = sfnClient(config);
  try {
    await client.config.credentials();
  } catch (error) {
    throw new PluginError(`No AWS credentials found for Step Functions to deploy ${flowName}.`, { hint: NO_CREDENTIALS_HINT, cause: error });
  } finally {
    client.destroy();
  }
}

export async function withSfn<T>(config: Config, use: (client: SFNClient) => Promise<T>): Promise<T> {
  const client = sfnClient(config);
  try {
    return await use(client);
  } catch (error) {
    if ((error as Error).name === 'CredentialsProviderError') throw new PluginError('No AWS credentials found for Step Functions.', { hint: NO_CREDENTIALS_HINT, cause: error });
    throw unreachable(error, 'Step Functions', config.get(StepFunctionsSettings.endpoint), StepFunctionsSettings.endpoint);
  } finally {
    client.destroy();
  }
}

/** A network failure reaching an AWS service as a one-line error that names the service and its endpoint; any other error as it is. */
export function unreachable(error: unknown, service: string, endpoint: string | undefined, endpointSetting: string): unknown {
  const code = networkFailure(error);
  if (!code) return error;
  return new PluginError(`${service} at ${endpoint ?? "AWS's endpoint for the region"} could not be reached (${code}).`, {
    hint: endpoint ? `check that ${endpointSetting} is right and the endpoint is up` : `check AWS_REGION and this machine's network (or set ${endpointSetting})`,
    cause: error,
  });
}
