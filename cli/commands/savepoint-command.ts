import { openAdapters, openObjectStore } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { KAPPA_ALIAS } from '../../speed/kappa-version.ts';
import { deleteSavepoint, listSavepoints, readDescriptor } from '../../speed/savepoint-store.ts';
import { takeSavepoint } from '../../speed/take-savepoint.ts';
import { configFrom, type Command, type OptionSpec, type ParsedOptions } from '../command.ts';
import { pipelineFileOf } from '../pipeline-loader.ts';
import { savepointLine, savepointSummary } from '../savepoint-summary.ts';

/**
 * `lk savepoint take | list | inspect | delete`: portable snapshots of a view namespace in the
 * object store (speed/take-savepoint.ts; the format is in docs/architecture.md, "Savepoints").
 * A job starts from one with `lk speed --from savepoint:<id>` or `lk replay --from savepoint:<id>`.
 */

const ID_OPTION: Readonly<Record<string, OptionSpec>> = { id: { type: 'string', valueName: 'ID', description: 'the savepoint (sp_..., see lk savepoint list)' } };

function idOf(options: ParsedOptions): string {
  const id = options.id as string | undefined;
  if (id === undefined) throw new BadRequestError('--id', 'is required: the savepoint to use (lk savepoint list shows them)');
  return id;
}

const takeCommand: Command = {
  name: 'savepoint take',
  summary: "save a namespace's committed state (offsets, panes, dedup ids, view fingerprints) to the object store",
  details: `
Reads the namespace's committed state in one transaction (PostgreSQL: one REPEATABLE READ
snapshot; DuckDB: one transaction on the store's single connection), so it may run while the job
commits: every partition is copied at its checkpoint then, with the panes and ids of that
checkpoint, as a restart would find it. With the embedded store the job holds the DuckDB file:
take the savepoint while the job is stopped (or use PostgreSQL, LK_VIEW_STORE=postgres).
Give the --pipeline the job runs: its views' definitions are recorded as fingerprints.
Prints the id on stdout.`,
  options: {
    namespace: { type: 'string', valueName: 'NAME', description: 'the namespace to save: speed, kappa (the version serving) or kappa_vN', default: 'speed' },
    json: { type: 'boolean', description: 'print the descriptor as JSON instead of the id' },
  },
  async run(options, env) {
    const config = await configFrom(options, ['log', 'viewStore', 'objectStore']);
    const pipeline = compilePipeline(config.pipeline);
    const adapters = await openAdapters(config);
    try {
      let namespace = (options.namespace as string | undefined) ?? 'speed';
      if (namespace === KAPPA_ALIAS) {
        const target = await adapters.views.getAlias(KAPPA_ALIAS);
        if (!target) throw new BadRequestError('--namespace', `the ${KAPPA_ALIAS} alias serves no version yet: build one with lk replay, or name a namespace`);
        namespace = target;
      }
      if (!(await adapters.views.listNamespaces()).includes(namespace)) {
        throw new BadRequestError('--namespace', `view namespace "${namespace}" does not exist (existing: ${(await adapters.views.listNamespaces()).join(', ') || 'none'})`);
      }
      const partitionCount = await adapters.log.partitionCount(config.topics.events);
      const d = await takeSavepoint(
        { views: adapters.views, objects: adapters.objects, pipeline },
        { namespace, topic: config.topics.events, partitionCount, pipelineName: pipelineFileOf(options.pipeline as string | undefined) },
      );
      env.err(`savepoint: took ${savepointLine(d)}`);
      env.out(options.json ? JSON.stringify(d) : d.id);
      return 0;
    } finally {
      await adapters.close();
    }
  },
};

const listCommand: Command = {
  name: 'savepoint list',
  summary: 'list the savepoints in the object store, oldest first: id, date, namespace, size',
  options: { json: { type: 'boolean', description: 'print the descriptors as JSON lines' } },
  async run(options, env) {
    const config = await configFrom(options, ['objectStore']);
    const objects = await openObjectStore(config);
    try {
      const all = await listSavepoints(objects);
      for (const d of all) env.out(options.json ? JSON.stringify(d) : savepointLine(d));
      if (all.length === 0) env.err('savepoint: none yet (lk savepoint take makes one)');
      return 0;
    } finally {
      await objects.close();
    }
  },
};

const inspectCommand: Command = {
  name: 'savepoint inspect',
  summary: "print a savepoint's partitions and offsets, its views with their fingerprints and pane counts",
  options: { ...ID_OPTION, json: { type: 'boolean', description: 'print the descriptor as JSON' } },
  async run(options, env) {
    const id = idOf(options);
    const config = await configFrom(options, ['objectStore']);
    const objects = await openObjectStore(config);
    try {
      const d = await readDescriptor(objects, id);
      if (options.json) env.out(JSON.stringify(d));
      else for (const line of savepointSummary(d)) env.out(line);
      return 0;
    } finally {
      await objects.close();
    }
  },
};

const deleteCommand: Command = {
  name: 'savepoint delete',
  summary: 'delete a savepoint from the object store',
  options: ID_OPTION,
  async run(options, env) {
    const id = idOf(options);
    const config = await configFrom(options, ['objectStore']);
    const objects = await openObjectStore(config);
    try {
      await deleteSavepoint(objects, id);
      env.err(`savepoint: deleted ${id}`);
      return 0;
    } finally {
      await objects.close();
    }
  },
};

/** `lk savepoint`: the parent of take, list, inspect and delete. */
export const savepointCommand: Command = {
  name: 'savepoint',
  summary: 'portable snapshots of a view namespace: lk savepoint take | list | inspect | delete',
  details: `
A savepoint copies a namespace's committed state (each partition's checkpoint, every pane, the
dedup ids still remembered, each view's definition as a fingerprint) into the object store as
versioned JSON. \`lk speed --from savepoint:<id> --namespace NAME\` (or \`lk replay --from
savepoint:<id>\`) starts a fresh namespace from it: unchanged views resume, new views are built
from --new-views-from, changed ones are refused naming what changed (or rebuilt with
--rebuild-changed).`,
  options: {},
  subcommands: [takeCommand, listCommand, inspectCommand, deleteCommand],
  async run(_options, env) {
    env.err('lk savepoint: say which: take, list, inspect or delete. Run `lk savepoint --help`.');
    return 2;
  },
};
