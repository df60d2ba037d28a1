import { Config, loadConfig, secretSettingValues } from './config';
import { printable } from './terminal';

/** Read from the environment only, as Metaflow's METAFLOW_DEBUG_*: tasks inherit it with the other FLOWKIT_* variables. */
const DEBUG_VARIABLE = 'FLOWKIT_DEBUG';

/** What `FLOWKIT_DEBUG` turns on (comma-separated, or `all`); each is logged at one place in FlowKit. */
export const DEBUG_TOPICS = ['subcommand', 'datastore', 'metadata', 'sidecar', 'plugins'] as const;
export type DebugTopic = (typeof DEBUG_TOPICS)[number];

/** Environment variables whose values are credentials, whoever reads them (AWS, GCP, FlowKit's own). */
const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PRIVATE_KEY|AUTH_KEY|CREDENTIALS)/i;
/** Shorter values (`1`, `true`, `us`) would hide ordinary words, and guessing them gains nothing. */
const MIN_SECRET_LENGTH = 6;
/** The query parameters that make a presigned URL (S3, GCS, CloudFront) a credential. */
const SIGNED_PARAMETER = /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|X-Goog-Signature|X-Goog-Credential|Signature)=)[^&#\s'"]+/gi;

function requestedTopics(): string[] {
  return (process.env[DEBUG_VARIABLE] ?? '')
    .split(',')
    .map((topic) => topic.trim())
    .filter(Boolean);
}

/**
 * The logger of a topic FLOWKIT_DEBUG turns on, else undefined: callers write `log?.(message)`, so a message is
 * never built while its topic is off. Each message becomes one stderr line, credentials hidden (see redactSecrets).
 */
export function debugLogger(topic: DebugTopic): ((message: string) => void) | undefined {
  const topics = requestedTopics();
  if (!topics.includes(topic) && !topics.includes('all')) return undefined;
  return (message) => process.stderr.write(`[flowkit debug ${topic}] ${printable(redactSecrets(message))}\n`);
}

let warned = false;

/**
 * Warns once per process of FLOWKIT_DEBUG topics that do not exist; never fails. The CLI and the client call it as
 * they start; task processes do not, since the command that launched them already warned.
 */
export function warnOfUnknownDebugTopics(): void {
  const known: readonly string[] = DEBUG_TOPICS;
  const unknown = requestedTopics().filter((topic) => topic !== 'all' && !known.includes(topic));
  if (unknown.length === 0 || warned) return;
  warned = true;
  process.stderr.write(`${printable(`FlowKit: ignoring unknown ${DEBUG_VARIABLE} topic(s) ${unknown.join(', ')}; known topics: ${[...known, 'all'].join(', ')}.`)}\n`);
}

/**
 * Text with credentials replaced by `***`: the values (6 characters or more) of secret-looking environment
 * variables and of secret settings, plain and URL-encoded, and the signature parameters of presigned URLs.
 */
export function redactSecrets(text: string): string {
  let redacted = text.replace(SIGNED_PARAMETER, '$1***');
  for (const secret of secretValues()) redacted = redacted.split(secret).join('***');
  return redacted;
}

/** Read on every line: plugins declare their secret settings as they load, after the first lines. */
function secretValues(): string[] {
  const named = Object.entries(process.env).flatMap(([name, value]) => (SECRET_NAME.test(name) && value !== undefined ? [value] : []));
  const values = [...named, ...secretSettingValues(settings())].filter((value) => value.length >= MIN_SECRET_LENGTH);
  // Longest first, so a secret that contains another is hidden whole.
  return [...new Set(values.flatMap((value) => [value, encodeURIComponent(value)]))].sort((a, b) => b.length - a.length);
}

let loaded: Config | undefined;

/** The settings, loaded once: a secret setting may be set in the profile rather than the environment. */
function settings(): Config {
  try {
    return (loaded ??= loadConfig());
  } catch {
    // A profile that cannot be read fails the command where it is loaded, not in a debug line.
    return new Config({});
  }
}

/** An argv as a shell would take it back (quoted where needed), for reading and pasting; never run by FlowKit. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
