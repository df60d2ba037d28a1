/** Options every command that reads or writes run data takes (yargs option specs: a plugin's commands take them too). */
export const backendOptions = {
  datastore: { type: 'string', describe: 'Datastore plugin to use (default: local)' },
  'datastore-root': { type: 'string', describe: 'Where the datastore keeps its data (default: .flowkit next to the flow)' },
  metadata: { type: 'string', describe: 'Metadata provider plugin to use (default: local)' },
} as const;

/** Options of the commands that read runs. */
export const readOptions = {
  ...backendOptions,
  namespace: { type: 'string', describe: "Read runs in this namespace (default user:<you>; '' for all)" },
} as const;
