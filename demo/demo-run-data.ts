import type { DataNameSetting, PlatformConfig } from '../shared/config.ts';
import { ConfigError, NotFoundError } from '../shared/errors.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';

/**
 * Where a demo run's data lives on the real services (the embedded ones live in its data dir,
 * which demo-data-dir.ts clears): one entry per real port, named by the setting that chose it.
 */
export interface RunDataName {
  readonly setting: DataNameSetting;
  /** What holds the data, for people: `Kafka topics a, a.dead-letter, a.late`. */
  readonly what: string;
  /** The setting's value, to reach the data again. */
  readonly value: string;
  /** A command that removes it. */
  readonly remove: string;
}

/** The URL as it may be printed: the password stays out of terminals and logs. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '$DATABASE_URL';
  }
}

/** The real services' names this run uses (empty on embedded services). */
export function runDataNames(config: PlatformConfig): RunDataName[] {
  const names: RunDataName[] = [];
  const { topics } = config;
  if (config.log.kind === 'kafka') {
    // kafka-topics.sh takes a regular expression: '.' in a topic name must match only itself.
    const pattern = `${topics.events.replaceAll('.', '\\.')}(\\.dead-letter|\\.late)?`;
    names.push({
      setting: 'LK_TOPIC',
      what: `Kafka topics ${topics.events}, ${topics.deadLetter}, ${topics.late}`,
      value: topics.events,
      remove: `kafka-topics.sh --bootstrap-server ${config.log.brokers[0]} --delete --topic '${pattern}'`,
    });
  }
  const vs = config.viewStore;
  if (vs.kind === 'postgres') {
    names.push({ setting: 'PG_SCHEMA', what: `PostgreSQL schema ${vs.schema}`, value: vs.schema, remove: `psql '${withoutPassword(vs.url)}' -c 'DROP SCHEMA "${vs.schema}" CASCADE'` });
  }
  const os = config.objectStore;
  if (os.kind === 's3') {
    const where = `s3://${os.bucket}/${os.prefix === '' ? '' : `${os.prefix}/`}`;
    names.push({
      setting: 'S3_PREFIX',
      what: `S3 prefix ${where}`,
      value: os.prefix,
      remove: `aws ${os.endpoint ? `--endpoint-url ${os.endpoint} ` : ''}s3 rm --recursive ${where}`,
    });
  }
  return names;
}

/** Printed at the start: which names the run uses, and why. */
export function runDataBanner(config: PlatformConfig, names: readonly RunDataName[]): string {
  const list = names.map((n) => n.what).join('; ');
  const { runId, userSet } = config.scope;
  if (runId === null) return `data: ${list} (--keep-data: the data already there is part of this run)`;
  const own = names.filter((n) => !userSet.includes(n.setting)).map((n) => n.setting);
  const given = names.filter((n) => userSet.includes(n.setting)).map((n) => n.setting);
  return (
    `run ${runId}: ${list} ` +
    `(${[own.length > 0 ? `${own.join(', ')} named after this run` : '', given.length > 0 ? `${given.join(', ')} as you set, checked empty` : ''].filter(Boolean).join('; ')}: no data of an earlier run is read)`
  );
}

/** Printed at the end: where the run's data stayed, how to reach it again and how to remove it. */
export function runDataNotice(config: PlatformConfig, names: readonly RunDataName[]): string[] {
  if (names.length === 0) return [];
  const settings = names.map((n) => `${n.setting}=${n.value === '' ? "''" : n.value}`).join(' ');
  const lines = [
    `This run's data stays on the services: ${names.map((n) => n.what).join('; ')}.`,
    `Serve it again with the same settings plus ${settings}, e.g. \`${settings} npm run lk -- serve --services real\`.`,
  ];
  // With --keep-data the names hold earlier data too: no command here should delete that.
  if (config.scope.runId !== null) lines.push('Remove it with:', ...names.map((n) => `  ${n.remove}`));
  return lines;
}

/**
 * Refuses to run when a topic, schema or prefix the run would use already holds data: the demo's
 * report counts what it reads, so data of an earlier run would be counted as this run's.
 */
export async function refuseDataOfEarlierRuns(config: PlatformConfig, names: readonly RunDataName[], ports: { log: EventLog; views: ViewStore; objects: ObjectStore }): Promise<void> {
  const found: string[] = [];
  for (const n of names) {
    const held = await heldData(config, n.setting, ports);
    if (held === null) continue;
    const asSet = config.scope.userSet.includes(n.setting);
    found.push(
      asSet
        ? `${n.setting}=${n.value} (${n.what}) already holds ${held}: unset ${n.setting} for a fresh name after the run id, set an unused one, or pass --keep-data to run on its data`
        : `this run's ${n.what} already holds ${held}: run the demo again (a new run id)`,
    );
  }
  if (found.length > 0) throw new ConfigError(`the demo does not mix runs: ${found.join('; ')}`);
}

/** What data a name already holds, or null when none. */
async function heldData(config: PlatformConfig, setting: DataNameSetting, ports: { log: EventLog; views: ViewStore; objects: ObjectStore }): Promise<string | null> {
  if (setting === 'LK_TOPIC') {
    const { topics } = config;
    const written: string[] = [];
    for (const topic of [topics.events, topics.deadLetter, topics.late]) {
      // A record ever appended leaves its end offset above 0; a missing topic holds nothing.
      const ends = await ports.log.endOffsets(topic).catch((err: unknown) => {
        if (err instanceof NotFoundError) return new Map<number, number>();
        throw err;
      });
      const n = [...ends.values()].reduce((a, b) => a + b, 0);
      if (n > 0) written.push(`${topic} ${n.toLocaleString('en-US')}`);
    }
    return written.length > 0 ? `records (${written.join(', ')})` : null;
  }
  if (setting === 'PG_SCHEMA') {
    const namespaces = await ports.views.listNamespaces();
    return namespaces.length > 0 ? `view-store namespaces (${namespaces.join(', ')})` : null;
  }
  const objects = await ports.objects.list('');
  if (objects.length === 0) return null;
  return `${objects.length.toLocaleString('en-US')} object${objects.length === 1 ? '' : 's'} (${objects[0]!.key}${objects.length > 1 ? ', ...' : ''})`;
}
