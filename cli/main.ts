#!/usr/bin/env node
import { LkError, BadRequestError, ConfigError } from '../shared/errors.ts';
import { helpOf, parseCommandArgs, resolveCommand, type Command } from './command.ts';
import { commandEntries, loadCommands } from './commands/index.ts';
import { relaunchWithFlags } from './launch-flags.ts';

/** `lk`: one binary, one subcommand per job. */
function mainHelp(list: readonly Command[]): string {
  return [
    'lk - one streaming pipeline, run as Lambda and as Kappa, compared on the same events',
    '',
    'Usage: lk <command> [options]      (npm run lk -- <command> [options])',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(Math.max(...list.map((x) => x.name.length)) + 1)} ${c.summary}`),
    '',
    'Run `lk <command> --help` for its options. `npm start` runs `lk demo`.',
    'Services: embedded by default (no installs); --services real (or LK_SERVICES=real) uses Kafka, S3 and PostgreSQL.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? commandEntries.find((c) => c.name === rest[0]) : undefined;
    console.log(topic ? helpOf(resolveCommand(await topic.load(), rest.slice(1)).cmd) : mainHelp(await loadCommands()));
    return 0;
  }
  const entry = commandEntries.find((c) => c.name === name);
  if (!entry) {
    console.error(`lk: unknown command "${name}". Commands: ${commandEntries.map((c) => c.name).join(', ')}. Run \`lk --help\`.`);
    return 2;
  }
  const { cmd, argv: args } = resolveCommand(await entry.load(), rest);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const options = parseCommandArgs(cmd, args);
    if (options.help) {
      console.log(helpOf(cmd));
      return 0;
    }
    return await cmd.run(options, { out: (l) => console.log(l), err: (l) => console.error(l), signal: controller.signal });
  } catch (err) {
    if (err instanceof BadRequestError || err instanceof ConfigError) {
      console.error(`lk ${cmd.name}: ${err.message}`);
      return 2;
    }
    if (err instanceof LkError) {
      console.error(`lk ${cmd.name}: ${err.message}`);
      return 1;
    }
    console.error(`lk ${cmd.name}: unexpected error:`, err);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

relaunchWithFlags(process.argv.slice(2));
process.exitCode = await main(process.argv.slice(2));
