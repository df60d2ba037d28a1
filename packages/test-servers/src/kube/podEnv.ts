/**
 * A container's environment and command line as the kubelet builds them: only what the pod spec names (plus the
 * image-level PATH, HOME and HOSTNAME a container would have), never the host's environment.
 */
import { dirname } from 'node:path';
import type { ObjectStore } from './objects';
import type { Container, Pod, Secret } from './types';

/** A reference the kubelet cannot resolve: the container stays waiting with `CreateContainerConfigError`. */
export class ContainerConfigError extends Error {}

export interface ContainerLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function buildLaunch(store: ObjectStore, pod: Pod, container: Container, podDir: string): ContainerLaunch {
  const namespace = pod.metadata.namespace ?? 'default';
  const secret = (name: string, optional: boolean): Record<string, string> | undefined => {
    const found = store.get<Secret>('secrets', namespace, name);
    if (found) return decode(found.data ?? {});
    if (optional) return undefined;
    throw new ContainerConfigError(`secret "${name}" not found`);
  };

  // The image's environment comes first: `node` resolves because this Node's directory leads PATH.
  const env: Record<string, string> = {
    PATH: `${dirname(process.execPath)}:${SYSTEM_PATH}`,
    HOME: podDir,
    TMPDIR: podDir,
    HOSTNAME: pod.metadata.name,
  };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef !== undefined) {
      throw new ContainerConfigError('envFrom configMapRef: the FlowKit Kubernetes test server has no ConfigMaps');
    }
    if (!source.secretRef) continue;
    const values = secret(source.secretRef.name, source.secretRef.optional === true) ?? {};
    for (const [key, value] of Object.entries(values)) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expand(variable.value ?? '', env);
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      const values = secret(ref.name, ref.optional === true);
      const value = values?.[ref.key];
      if (value !== undefined) env[variable.name] = value;
      else if (values !== undefined && ref.optional !== true) {
        throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${namespace}/${ref.name}`);
      }
    } else if (from.fieldRef) {
      env[variable.name] = fieldValue(pod, from.fieldRef.fieldPath);
    } else {
      const source = Object.keys(from).join(', ');
      throw new ContainerConfigError(
        `env ${variable.name}: valueFrom ${source} is not supported by the FlowKit Kubernetes test server`,
      );
    }
  }
  const [command, ...commandArgs] = (container.command ?? []).map((part) => expand(part, env));
  if (command === undefined) {
    throw new ContainerConfigError(
      `container "${container.name}" has no command: the FlowKit Kubernetes test server never runs an image's entrypoint`,
    );
  }
  return { command, args: [...commandArgs, ...(container.args ?? []).map((part) => expand(part, env))], env };
}

function decode(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** `$(NAME)` becomes the variable's value when it is defined, `$$(NAME)` stays a literal `$(NAME)`. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.prototype.hasOwnProperty.call(env, name) ? (env[name] as string) : match;
  });
}

/** The downward API's env fields. */
function fieldValue(pod: Pod, path: string): string {
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (mapKey) {
    const map = mapKey[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[mapKey[2] as string] ?? '';
  }
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName ?? 'default',
    'status.hostIP': pod.status.hostIP,
    'status.podIP': pod.status.podIP,
  };
  if (!(path in fields)) throw new ContainerConfigError(`fieldRef ${path} is not supported by the FlowKit Kubernetes test server`);
  return fields[path] ?? '';
}
