import type { Command } from '../command.ts';

/** A subcommand of `lk` by name, its module loaded when it runs. */
export interface CommandEntry {
  /** Equals the loaded command's `name` (test/cli/command.test.ts holds them to it). */
  readonly name: string;
  load(): Promise<Command>;
}

/**
 * Every `lk` subcommand, in the order --help lists them. Loaded one at a time: a command loads only
 * its own modules, not every other command's (and their libraries), which kept about 30 MB
 * resident in `lk ingest` (docs/decisions.md).
 */
export const commandEntries: readonly CommandEntry[] = [
  { name: 'demo', load: async () => (await import('./demo-command.ts')).demoCommand },
  { name: 'compare', load: async () => (await import('./compare-command.ts')).compareCommand },
  { name: 'generate', load: async () => (await import('./generate-command.ts')).generateCommand },
  { name: 'ingest', load: async () => (await import('./ingest-command.ts')).ingestCommand },
  { name: 'speed', load: async () => (await import('./speed-command.ts')).speedCommand },
  { name: 'replay', load: async () => (await import('./replay-command.ts')).replayCommand },
  { name: 'cutover', load: async () => (await import('./cutover-command.ts')).cutoverCommand },
  { name: 'rollback', load: async () => (await import('./rollback-command.ts')).rollbackCommand },
  { name: 'explain', load: async () => (await import('./explain-command.ts')).explainCommand },
  { name: 'savepoint', load: async () => (await import('./savepoint-command.ts')).savepointCommand },
  { name: 'dead-letters', load: async () => (await import('./dead-letters-command.ts')).deadLettersCommand },
  { name: 'late', load: async () => (await import('./late-command.ts')).lateCommand },
  { name: 'archive', load: async () => (await import('./archive-command.ts')).archiveCommand },
  { name: 'batch', load: async () => (await import('./batch-command.ts')).batchCommand },
  { name: 'run', load: async () => (await import('./run-command.ts')).runCommand },
  { name: 'serve', load: async () => (await import('./serve-command.ts')).serveCommand },
  { name: 'services', load: async () => (await import('./services-command.ts')).servicesCommand },
];

/** Every command, loaded (for the overall --help, and tests). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(commandEntries.map((e) => e.load()));
}
