/**
 * What the apiserver does to a created object before storing it: decode, name generation, defaulting (the batch/v1
 * Job defaults and generated selector), and validation with the apiserver's field paths.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { badRequest, invalid } from './status';
import type { Container, Job, KubeObject, ObjectMeta, Secret } from './types';
import {
  Causes,
  checkAnnotations,
  checkConfigKey,
  checkDnsLabel,
  checkEnvName,
  checkLabels,
  checkResources,
  checkSubdomain,
  isObject,
  isStringArray,
  isStringMap,
} from './validation';

/** The alphabet the apiserver draws generated name suffixes from (no vowels, no confusable characters). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(): string {
  return Array.from({ length: 5 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
}

/** `generateName` plus 5 random characters, the base cut to 58 so the result stays a valid 63-character name. */
export function generateName(base: string): string {
  return base.slice(0, 58) + randomSuffix();
}

interface Kind {
  kind: string;
  apiVersion: string;
  group: string;
}

/** The common part of every create: type checks, namespace, name or generateName, labels and annotations. */
function admitMeta(body: unknown, kind: Kind, namespace: string | undefined, causes: Causes): KubeObject {
  if (!isObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${kind.kind})`);
  if (body.kind !== undefined && body.kind !== kind.kind) {
    throw badRequest(`the object provided is unrecognized (must be of type ${kind.kind}): kind ${String(body.kind)}`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== kind.apiVersion) {
    throw badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${kind.apiVersion})`,
    );
  }
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.namespace !== undefined && namespace !== undefined && metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  let name = typeof metadata.name === 'string' ? metadata.name : '';
  if (!name && typeof metadata.generateName === 'string' && metadata.generateName) {
    name = generateName(metadata.generateName);
  }
  if (!name) causes.required('metadata.name', 'name or generateName is required');
  const meta: ObjectMeta = {
    ...metadata,
    name,
    uid: '',
    resourceVersion: '',
    creationTimestamp: '',
  };
  if (namespace !== undefined) meta.namespace = namespace;
  for (const systemField of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields']) {
    delete meta[systemField];
  }
  checkLabels(causes, 'metadata.labels', meta.labels);
  checkAnnotations(causes, 'metadata.annotations', meta.annotations);
  return { ...body, apiVersion: kind.apiVersion, kind: kind.kind, metadata: meta };
}

function fail(kind: Kind, name: string, causes: Causes): void {
  if (causes.list.length > 0) throw invalid(kind.kind, kind.group, name, causes.list);
}

export function admitNamespace(body: unknown): KubeObject {
  const kind = { kind: 'Namespace', apiVersion: 'v1', group: '' };
  const causes = new Causes();
  const object = admitMeta(body, kind, undefined, causes);
  if (object.metadata.name) checkDnsLabel(causes, 'metadata.name', object.metadata.name);
  fail(kind, object.metadata.name, causes);
  return { ...object, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

/** Secrets: keys checked, `data` must be base64, `stringData` is folded into `data` as the apiserver does. */
export function admitSecret(body: unknown, namespace: string): Secret {
  const kind = { kind: 'Secret', apiVersion: 'v1', group: '' };
  const causes = new Causes();
  const object = admitMeta(body, kind, namespace, causes) as Secret & { stringData?: unknown };
  if (object.metadata.name) checkSubdomain(causes, 'metadata.name', object.metadata.name);
  const data: Record<string, string> = {};
  if (object.data !== undefined) {
    if (!isStringMap(object.data)) throw badRequest('Secret.data must be a map of base64 strings');
    for (const [key, value] of Object.entries(object.data)) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
        throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data for key "${key}"`);
      }
      data[key] = value;
    }
  }
  if (object.stringData !== undefined) {
    if (!isStringMap(object.stringData)) throw badRequest('Secret.stringData must be a map of strings');
    for (const [key, value] of Object.entries(object.stringData)) data[key] = Buffer.from(value).toString('base64');
  }
  for (const key of Object.keys(data)) checkConfigKey(causes, `data[${key}]`, key);
  fail(kind, object.metadata.name, causes);
  const { stringData: _dropped, ...secret } = object;
  return { ...secret, type: object.type ?? 'Opaque', data };
}

/**
 * batch/v1 Jobs: defaults (backoffLimit 6, completions and parallelism 1, the generated selector and pod labels,
 * the container defaults), then validation. The uid is chosen here because the selector names it.
 */
export function admitJob(body: unknown, namespace: string): Job {
  const kind = { kind: 'Job', apiVersion: 'batch/v1', group: 'batch' };
  const causes = new Causes();
  const object = admitMeta(body, kind, namespace, causes);
  const name = object.metadata.name;
  if (name) checkSubdomain(causes, 'metadata.name', name, 63);
  const spec = isObject(object.spec) ? object.spec : {};
  const template = isObject(spec.template) ? spec.template : {};
  const templateMeta = isObject(template.metadata) ? template.metadata : {};
  const podSpec = isObject(template.spec) ? template.spec : {};
  if (!isObject(object.spec)) causes.required('spec');
  else if (!isObject(template.spec)) causes.required('spec.template.spec');
  checkLabels(causes, 'spec.template.metadata.labels', templateMeta.labels);
  checkAnnotations(causes, 'spec.template.metadata.annotations', templateMeta.annotations);
  checkJobNumbers(causes, spec);
  checkPodSpec(causes, 'spec.template.spec', podSpec);
  fail(kind, name, causes);

  const uid = randomUUID();
  const generated = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  const userLabels = isStringMap(templateMeta.labels) ? templateMeta.labels : {};
  const metadata = { ...object.metadata, uid, generation: 1 };
  const unlabelled = !metadata.labels || Object.keys(metadata.labels).length === 0;
  if (unlabelled && Object.keys(userLabels).length > 0) metadata.labels = { ...userLabels };
  const containers = (podSpec.containers as Container[]).map(defaultContainer);
  return {
    ...object,
    metadata,
    spec: {
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      ...spec,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: {
        ...template,
        metadata: { ...templateMeta, labels: { ...userLabels, ...generated } },
        spec: {
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
          ...podSpec,
          containers,
        },
      },
    } as Job['spec'],
    status: {},
  };
}

function checkJobNumbers(causes: Causes, spec: Record<string, unknown>): void {
  const atLeast = (field: string, min: number, message: string) => {
    const value = spec[field];
    if (value === undefined || value === null) return;
    if (!Number.isInteger(value) || (value as number) < min) causes.invalid(`spec.${field}`, value, message);
  };
  atLeast('backoffLimit', 0, 'must be greater than or equal to 0');
  atLeast('activeDeadlineSeconds', 1, 'must be greater than 0');
  atLeast('ttlSecondsAfterFinished', 0, 'must be greater than or equal to 0');
  for (const field of ['completions', 'parallelism']) {
    const value = spec[field];
    if (value !== undefined && value !== null && value !== 1) {
      causes.forbidden(`spec.${field}`, 'the FlowKit Kubernetes test server runs exactly one pod at a time (set 1)');
    }
  }
  const unsupported: [string, boolean][] = [
    ['suspend', spec.suspend === true],
    ['completionMode', spec.completionMode !== undefined && spec.completionMode !== 'NonIndexed'],
    ['podFailurePolicy', spec.podFailurePolicy !== undefined],
    ['successPolicy', spec.successPolicy !== undefined],
  ];
  for (const [field, used] of unsupported) {
    if (used) causes.forbidden(`spec.${field}`, 'not supported by the FlowKit Kubernetes test server');
  }
  if (spec.selector !== undefined && spec.manualSelector !== true) {
    causes.invalid('spec.selector', JSON.stringify(spec.selector), '`selector` will be auto-generated');
  }
}

function checkPodSpec(causes: Causes, field: string, spec: Record<string, unknown>): void {
  const restartPolicy = spec.restartPolicy ?? 'Always';
  if (restartPolicy === 'OnFailure') {
    const why = 'the FlowKit Kubernetes test server runs only restartPolicy Never (it does not restart containers in place)';
    causes.forbidden(`${field}.restartPolicy`, why);
  } else if (restartPolicy !== 'Never') {
    causes.unsupported(`${field}.restartPolicy`, restartPolicy, ['OnFailure', 'Never']);
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || (grace as number) < 0)) {
    causes.invalid(`${field}.terminationGracePeriodSeconds`, grace, 'must be greater than or equal to 0');
  }
  if (spec.initContainers !== undefined) {
    causes.forbidden(`${field}.initContainers`, 'the FlowKit Kubernetes test server does not run init containers');
  }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return causes.required(`${field}.containers`);
  if (containers.length > 1) {
    causes.forbidden(`${field}.containers`, 'the FlowKit Kubernetes test server runs one container per pod');
  }
  containers.forEach((c: unknown, i) => checkContainer(causes, `${field}.containers[${i}]`, c));
}

function checkContainer(causes: Causes, field: string, container: unknown): void {
  if (!isObject(container)) return causes.invalid(field, container, 'must be an object');
  if (typeof container.name !== 'string' || !container.name) causes.required(`${field}.name`);
  else checkDnsLabel(causes, `${field}.name`, container.name);
  if (typeof container.image !== 'string' || !container.image.trim()) causes.required(`${field}.image`);
  for (const list of ['command', 'args'] as const) {
    if (container[list] !== undefined && !isStringArray(container[list])) {
      causes.invalid(`${field}.${list}`, container[list], 'must be a list of strings');
    }
  }
  const env = container.env ?? [];
  if (!Array.isArray(env)) causes.invalid(`${field}.env`, env, 'must be a list');
  else env.forEach((e: unknown, i) => checkEnvVar(causes, `${field}.env[${i}]`, e));
  checkResources(causes, `${field}.resources`, container.resources);
}

function checkEnvVar(causes: Causes, field: string, env: unknown): void {
  if (!isObject(env)) return causes.invalid(field, env, 'must be an object');
  checkEnvName(causes, `${field}.name`, env.name);
  if (env.value !== undefined && typeof env.value !== 'string') causes.invalid(`${field}.value`, env.value, 'must be a string');
  if (env.valueFrom === undefined) return;
  if (!isObject(env.valueFrom)) return causes.invalid(`${field}.valueFrom`, env.valueFrom, 'must be an object');
  if (env.value !== undefined && env.value !== '') {
    causes.invalid(`${field}.valueFrom`, '', 'may not be specified when `value` is not empty');
  }
  const sources = Object.keys(env.valueFrom).filter((k) => env.valueFrom && (env.valueFrom as Record<string, unknown>)[k]);
  if (sources.length !== 1) {
    causes.invalid(`${field}.valueFrom`, '', 'may not have more than one field specified at a time');
  }
  const ref = env.valueFrom.secretKeyRef;
  if (ref !== undefined) {
    if (!isObject(ref) || typeof ref.key !== 'string' || !ref.key) causes.required(`${field}.valueFrom.secretKeyRef.key`);
    if (!isObject(ref) || typeof ref.name !== 'string' || !ref.name) {
      causes.required(`${field}.valueFrom.secretKeyRef.name`);
    }
  }
}

function defaultContainer(container: Container): Container {
  const image = container.image;
  const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
  return {
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: tagged || image.includes('@') ? 'IfNotPresent' : 'Always',
    resources: {},
    ...container,
  };
}
