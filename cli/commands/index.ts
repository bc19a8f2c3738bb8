import type { Command } from '../command.ts';
import { archiveCommand } from './archive-command.ts';
import { batchCommand } from './batch-command.ts';
import { compareCommand } from './compare-command.ts';
import { cutoverCommand } from './cutover-command.ts';
import { demoCommand } from './demo-command.ts';
import { generateCommand } from './generate-command.ts';
import { ingestCommand } from './ingest-command.ts';
import { serveCommand } from './serve-command.ts';
import { servicesCommand } from './services-command.ts';
import { replayCommand } from './replay-command.ts';
import { rollbackCommand } from './rollback-command.ts';
import { speedCommand } from './speed-command.ts';

/** Every `lk` subcommand, in the order --help lists them. */
export const commands: readonly Command[] = [demoCommand, compareCommand, generateCommand, ingestCommand, speedCommand, replayCommand, cutoverCommand, rollbackCommand, archiveCommand, batchCommand, serveCommand, servicesCommand];
