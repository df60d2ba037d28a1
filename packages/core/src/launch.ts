import type { TaskRef } from './metadata';
import type { StepDecorator } from './plugins';

/** What a task asks for; launchers honour what they can (a local process takes none of it). */
export interface TaskResources {
  cpu?: number;
  /** Megabytes. */
  memory?: number;
  gpu?: number;
}

/** How the scheduler will start one task; decorators shape it before launch. */
export interface LaunchPlan {
  /** The step's own environment variables (@environment), on top of the run's settings. */
  env: Record<string, string>;
  /** Attempts that run the user's code, the first included (@retry raises it). */
  userAttempts: number;
  /** One more attempt after those, that runs no user code and lets a decorator handle the failure (@catch). */
  fallbackAttempt: boolean;
  /** Wait before each retry. */
  retryDelaySeconds: number;
  timeoutSeconds?: number;
  resources: TaskResources;
  /** npm packages the step's environment holds (@packages), name -> version or range: read under `--environment`. */
  packages?: Record<string, string>;
  /** Set by a compute decorator (batch, kubernetes) to run the task elsewhere. */
  compute?: { decorator: ComputeDecorator; attributes: Record<string, unknown> };
}

/** A run as launchers see it, from its start to its end. */
export interface LauncherRun {
  flowName: string;
  runId: string;
  /** The run's datastore: its plugin name and root (`s3://bucket/prefix`). */
  datastore: { name: string; root: string };
  /** The run's metadata provider. */
  metadata: string;
}

/** A file of the flow's directory that goes in the code package beside the bundle (`--package-suffixes`). */
export interface PackagedFile {
  /** Where it is, relative to the flow's directory (`/`-separated): where a task elsewhere finds it, relative to its working directory. */
  path: string;
  /** Its absolute path here (a symlink's target is read). */
  source: string;
  size: number;
}

/** A blob of the code package in the run's datastore, addressed by its content. */
export interface PublishedBlob {
  /** Its sha256, checked by the bootstrap before it uses a byte of it. */
  sha: string;
  /** Its key in the run's datastore. */
  key: string;
  /** A URL the bootstrap reads with no credentials: presigned for an object store, `file://` for a local root. */
  url: string;
}

/** The run's code package where a task away from this machine fetches it: the bundle, and the files asked for beside it. */
export interface PublishedCodePackage extends PublishedBlob {
  /** The packaged files (one archive), unpacked into the task's working directory; none asked for: absent. */
  files?: PublishedBlob;
}

/** How to run a task in an image that has nothing but Node. */
export interface RemoteTaskCommand {
  /** `node -e <bootstrap> ...`: fetches the code package, checks its sha256, runs the task, saves its logs and records. */
  argv: string[];
  /**
   * The same command in parts: `argv` is `node -e <source> ...args`. A backend that limits a command's size
   * (ECS: 8 KiB of overrides) may ship the source once instead, e.g. in a job definition's environment.
   */
  bootstrap: { source: string; args: string[] };
  /** The task's environment: the run's settings and the step's own variables, never the host's, nor secret or host-bound settings. */
  env: Record<string, string>;
  codePackage: PublishedCodePackage;
}

/**
 * One attempt of one task, described so that it can start anywhere. Nothing in it names this machine:
 * a local launcher adds the host's environment and paths itself; a remote one calls `remote()`.
 */
export interface TaskLaunch {
  ref: TaskRef;
  attempt: number;
  /** The task entry's arguments (`step <name> --run-id ...`), for a launcher that starts the entry itself. */
  taskArgs: string[];
  /** The run's settings (FLOWKIT_*) and the step's own variables; the host's other variables are not in it. */
  env: Record<string, string>;
  resources: TaskResources;
  /**
   * The step's @timeout, for the attempts that run its code. The scheduler stops the task then; a backend sets
   * its own deadline from it too (a Job's activeDeadlineSeconds), which holds when the scheduler is gone.
   */
  timeoutSeconds?: number;
  /**
   * Publishes the run's code package to its datastore (once per run) and returns the command that runs
   * this attempt from it with Node alone. A task launched this way saves its own logs and records, so
   * nothing is lost when the scheduler is not there to see it end.
   */
  remote(): Promise<RemoteTaskCommand>;
}

/** How a task ended. */
export interface TaskExit {
  /** The exit code of its process; null when a signal killed it or it never ran. */
  code: number | null;
  signal: string | null;
  /** What the backend says about the end (a Batch status reason, a pod's), shown when the task could not say why itself. */
  reason?: string;
}

/** A running task wherever it runs: a local process, a Batch job, a Kubernetes pod. */
export interface LaunchedTask {
  /** What the output prefix shows: a pid, a job id. */
  readonly label: string;
  /** The task's output as it runs (a local pipe, a log stream polled from the backend). */
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Settles when the task ended: its exit code, or the signal that killed it, and the backend's reason. */
  readonly exited: Promise<TaskExit>;
  /** Stops the task (a timeout, Ctrl-C); SIGKILL stops it for good. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts tasks somewhere. Local processes are one launcher; compute decorators (batch, kubernetes) are
 * others. The scheduler calls `runStarted` before the run's first task on this launcher, `launch` for every
 * attempt, and `runFinished` once the run ended, whatever happened.
 */
export interface Launcher {
  /** Opens clients, checks the backend is reachable, before any task is submitted. */
  runStarted?(run: LauncherRun): Promise<void>;
  /** Submits one attempt; resolves once it exists (its label, a job id, is known then). */
  launch(task: TaskLaunch, attributes: Record<string, unknown>): Promise<LaunchedTask>;
  /** Cleans up and closes clients; tasks still running have been killed before. */
  runFinished?(run: LauncherRun, status: 'succeeded' | 'failed'): Promise<void>;
}

/** A step decorator that runs its step's tasks elsewhere: its onLaunch sets `plan.compute` to itself. */
export interface ComputeDecorator extends StepDecorator, Launcher {}
