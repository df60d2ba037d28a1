import type { PoolClient } from 'pg';

/**
 * Versioned migrations, applied in order on start, each once (recorded in schema_migrations) and inside
 * its own transaction; an advisory lock keeps two services starting at once from racing.
 * Never edit a released migration: add the next version.
 */
export const MIGRATIONS: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'runs, tasks, attempts, artifacts, metadata, idempotent requests',
    sql: `
      CREATE TABLE flows (
        flow_name text PRIMARY KEY,
        created_at bigint NOT NULL,
        last_run_number bigint NOT NULL
      );
      CREATE TABLE runs (
        flow_name text NOT NULL REFERENCES flows (flow_name),
        run_id text NOT NULL,
        run_number bigint NOT NULL,
        user_name text NOT NULL,
        created_at bigint NOT NULL,
        tags text[] NOT NULL,
        system_tags text[] NOT NULL,
        origin_run_id text,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        finished_at bigint,
        last_heartbeat bigint NOT NULL,
        PRIMARY KEY (flow_name, run_id)
      );
      CREATE INDEX runs_newest ON runs (flow_name, created_at DESC, run_number DESC);
      CREATE INDEX runs_tags ON runs USING gin ((tags || system_tags));
      CREATE INDEX runs_running ON runs (last_heartbeat) WHERE status = 'running';
      CREATE SEQUENCE task_numbers;
      CREATE TABLE tasks (
        flow_name text NOT NULL,
        run_id text NOT NULL,
        step_name text NOT NULL,
        task_id text NOT NULL,
        task_order bigint NOT NULL,
        created_at bigint NOT NULL,
        foreach_indices integer[],
        cloned_from text,
        input_paths text[],
        status text CHECK (status IN ('running', 'succeeded', 'failed')),
        current_attempt integer,
        started_at bigint,
        finished_at bigint,
        last_heartbeat bigint,
        request_id text UNIQUE,
        PRIMARY KEY (flow_name, run_id, step_name, task_id),
        FOREIGN KEY (flow_name, run_id) REFERENCES runs (flow_name, run_id)
      );
      CREATE INDEX tasks_in_order ON tasks (flow_name, run_id, step_name, task_order, task_id);
      CREATE INDEX tasks_running ON tasks (last_heartbeat) WHERE status = 'running';
      CREATE TABLE attempts (
        flow_name text NOT NULL,
        run_id text NOT NULL,
        step_name text NOT NULL,
        task_id text NOT NULL,
        attempt integer NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        started_at bigint NOT NULL,
        finished_at bigint,
        error text,
        PRIMARY KEY (flow_name, run_id, step_name, task_id, attempt),
        FOREIGN KEY (flow_name, run_id, step_name, task_id) REFERENCES tasks (flow_name, run_id, step_name, task_id)
      );
      CREATE TABLE artifacts (
        flow_name text NOT NULL,
        run_id text NOT NULL,
        step_name text NOT NULL,
        task_id text NOT NULL,
        attempt integer NOT NULL,
        name text NOT NULL,
        sha text NOT NULL,
        type text NOT NULL,
        size bigint NOT NULL,
        serializer text NOT NULL,
        PRIMARY KEY (flow_name, run_id, step_name, task_id, attempt, name),
        FOREIGN KEY (flow_name, run_id, step_name, task_id) REFERENCES tasks (flow_name, run_id, step_name, task_id)
      );
      CREATE TABLE metadata (
        flow_name text NOT NULL,
        run_id text NOT NULL,
        step_name text NOT NULL,
        task_id text NOT NULL,
        attempt integer NOT NULL,
        field text NOT NULL,
        value text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (flow_name, run_id, step_name, task_id, attempt, field),
        FOREIGN KEY (flow_name, run_id, step_name, task_id) REFERENCES tasks (flow_name, run_id, step_name, task_id)
      );
      CREATE TABLE requests (
        request_id text PRIMARY KEY,
        response jsonb,
        created_at bigint NOT NULL
      );
      CREATE INDEX requests_age ON requests (created_at);
    `,
  },
  {
    version: 2,
    name: 'how a task died, when FlowKit recorded it for the task',
    sql: 'ALTER TABLE attempts ADD COLUMN died text;',
  },
  {
    version: 3,
    name: "runs an engine drives have no scheduler's heartbeat (NULL: judged by their tasks' and the engine's word)",
    sql: 'ALTER TABLE runs ALTER COLUMN last_heartbeat DROP NOT NULL;',
  },
];

/** Any number, as long as no other FlowKit migration uses it. */
const MIGRATION_LOCK = 7_042_561;

/** Brings the schema to the newest version; returns the versions it applied (none when already current). */
export async function migrate(client: PoolClient): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      done.push(migration.version);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

export function schemaVersion(): number {
  return MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
}
