import type { Command } from '../command.ts';
import { replayCommand } from './replay-command.ts';
import { speedCommand } from './speed-command.ts';

/** Every `lk` subcommand, in the order --help lists them. */
export const commands: readonly Command[] = [speedCommand, replayCommand];
