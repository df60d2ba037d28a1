/** The apiserver's field rules for names, labels and quantities, with its messages, collected as 422 causes. */
import type { StatusCause } from './status';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " +
  "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end " +
  "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start " +
  "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for " +
  "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const LABEL_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
  "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const ENV_NAME_MESSAGE =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must " +
  "not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation " +
  "is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or " +
  "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** Collects field errors the way the apiserver renders them (`Invalid value: "x": ...`). */
export class Causes {
  readonly list: StatusCause[] = [];

  invalid(field: string, value: unknown, message: string): void {
    this.list.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${render(value)}: ${message}` });
  }

  required(field: string, message?: string): void {
    const text = message ? `Required value: ${message}` : 'Required value';
    this.list.push({ reason: 'FieldValueRequired', field, message: text });
  }

  unsupported(field: string, value: unknown, supported: string[]): void {
    const values = supported.map((s) => JSON.stringify(s)).join(', ');
    this.list.push({
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${render(value)}: supported values: ${values}`,
    });
  }

  forbidden(field: string, message: string): void {
    this.list.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` });
  }
}

function render(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function checkSubdomain(causes: Causes, field: string, value: string, maxLength = 253): void {
  if (value.length > maxLength) causes.invalid(field, value, `must be no more than ${maxLength} characters`);
  if (!DNS1123_SUBDOMAIN.test(value)) causes.invalid(field, value, SUBDOMAIN_MESSAGE);
}

export function checkDnsLabel(causes: Causes, field: string, value: string): void {
  if (value.length > 63) causes.invalid(field, value, 'must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) causes.invalid(field, value, LABEL_MESSAGE);
}

export function checkLabels(causes: Causes, field: string, labels: unknown): void {
  if (labels === undefined) return;
  if (!isStringMap(labels)) return causes.invalid(field, labels, 'must be a map of strings');
  for (const [key, value] of Object.entries(labels)) {
    checkQualifiedName(causes, field, key);
    if (value.length > 63) causes.invalid(field, value, 'must be no more than 63 characters');
    if (value !== '' && !LABEL_PART.test(value)) causes.invalid(field, value, LABEL_VALUE_MESSAGE);
  }
}

export function checkAnnotations(causes: Causes, field: string, annotations: unknown): void {
  if (annotations === undefined) return;
  if (!isStringMap(annotations)) return causes.invalid(field, annotations, 'must be a map of strings');
  for (const key of Object.keys(annotations)) checkQualifiedName(causes, field, key);
  const size = Object.entries(annotations).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (size > 256 * 1024) causes.invalid(field, '', `Too long: must have at most ${256 * 1024} bytes`);
}

/** A label or annotation key: an optional DNS subdomain prefix, a slash, and a name of at most 63 characters. */
function checkQualifiedName(causes: Causes, field: string, key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix.length === 0) causes.invalid(field, key, 'prefix part must be non-empty');
    else if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      causes.invalid(field, key, `prefix part ${SUBDOMAIN_MESSAGE}`);
    }
  }
  if (name.length === 0) causes.invalid(field, key, 'name part must be non-empty');
  else if (name.length > 63) causes.invalid(field, key, 'name part must be no more than 63 characters');
  else if (!LABEL_PART.test(name)) causes.invalid(field, key, LABEL_NAME_MESSAGE);
}

export function checkEnvName(causes: Causes, field: string, name: unknown): void {
  if (typeof name !== 'string' || name === '') return causes.required(field);
  if (!ENV_NAME.test(name)) causes.invalid(field, name, ENV_NAME_MESSAGE);
}

export function checkConfigKey(causes: Causes, field: string, key: string): void {
  if (key.length > 253) causes.invalid(field, key, 'must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) causes.invalid(field, key, CONFIG_KEY_MESSAGE);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A resource quantity (`500m`, `2Gi`, `1e3`) as a number of base units, or undefined when it does not parse. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const number = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return number * (BINARY[suffix] as number);
  if (suffix in DECIMAL) return number * (DECIMAL[suffix] as number);
  return number * 10 ** Number(suffix.slice(1));
}

/** Requests and limits must parse, be non-negative, and a request may not exceed its limit. */
export function checkResources(causes: Causes, field: string, resources: unknown): void {
  if (resources === undefined) return;
  if (!isObject(resources)) return causes.invalid(field, resources, 'must be an object');
  const parsed: Record<'limits' | 'requests', Record<string, number>> = { limits: {}, requests: {} };
  for (const kind of ['limits', 'requests'] as const) {
    const map = resources[kind];
    if (map === undefined) continue;
    if (!isObject(map)) {
      causes.invalid(`${field}.${kind}`, map, 'must be a map of quantities');
      continue;
    }
    for (const [name, raw] of Object.entries(map)) {
      const where = `${field}.${kind}[${name}]`;
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseQuantity(raw) : undefined;
      if (value === undefined) {
        causes.invalid(
          where,
          raw,
          "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        );
      } else if (value < 0) {
        causes.invalid(where, raw, 'must be greater than or equal to 0');
      } else {
        parsed[kind][name] = value;
      }
    }
  }
  for (const [name, request] of Object.entries(parsed.requests)) {
    const limit = parsed.limits[name];
    const limitText = isObject(resources.limits) ? String(resources.limits[name]) : '';
    const requestText = isObject(resources.requests) ? String(resources.requests[name]) : '';
    if (limit !== undefined && request > limit) {
      causes.invalid(`${field}.requests[${name}]`, requestText, `must be less than or equal to ${name} limit of ${limitText}`);
    }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringMap(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
