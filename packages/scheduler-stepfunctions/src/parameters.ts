import { parameterValues } from '@flowkit/core/internal';
import { ParameterError, type PreparedFlow } from '@flowkit/core/plugin';

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The flow's parameters given as options (`--alpha 3`), as text by parameter name: as typed (the CLI keeps yargs
 * from parsing numbers, so `--id 1.50` stays '1.50'), each checked by its parameter's type here
 * rather than in the run's `init` job. The command's own options are skipped; anything else must name a parameter.
 */
export function givenParameters(flow: PreparedFlow, args: Record<string, unknown>, ownOptions: string[]): Record<string, string> {
  const names = [...flow.parameters.values()].map((definition) => definition.name);
  const keys = Object.keys(args);
  // yargs adds `fooBar` beside `--foo-bar`.
  const aliases = new Set(keys.filter((key) => key.includes('-')).map(camel));
  const skipped = new Set(['_', '$0', 'flow', ...ownOptions, ...ownOptions.map(camel)]);
  const given: Record<string, string> = {};
  for (const key of keys.filter((k) => !skipped.has(k) && !(aliases.has(k) && !names.includes(k)))) {
    if (!names.includes(key)) {
      throw new ParameterError(`Flow ${flow.graph.flowName} has no parameter '${key}'.`, { hint: `its parameters: ${names.join(', ') || 'none'}` });
    }
    const value = args[key];
    if (Array.isArray(value) || typeof value === 'object') throw new ParameterError(`Parameter '${key}' was given more than once.`, { hint: `give --${key} one value` });
    given[key] = String(value);
  }
  // Every parameter checked here was given, so no default (which may ask for the user) is computed.
  parameterValues(new Map([...flow.parameters].filter(([, definition]) => definition.name in given)), given, { flowName: flow.graph.flowName, userName: '' });
  return given;
}
