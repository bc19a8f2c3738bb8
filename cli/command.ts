import { parseArgs } from 'node:util';
import { ALL_PORTS, loadConfig, MAX_STRAGGLER_DELAY_MS, type PlatformConfig, type PortName } from '../shared/config.ts';
import { BadRequestError } from '../shared/errors.ts';
import { DEFAULT_WORKLOAD } from '../workload/workload-options.ts';
import { loadPipelineFile, pipelineFileOf } from './pipeline-loader.ts';

/** One CLI option: parsed by node:util parseArgs, documented in the command's --help. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly description: string;
  /** Shown in --help. */
  readonly default?: string;
  readonly valueName?: string;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

/** A subcommand of `lk`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Extra paragraphs for --help: what it does, examples. */
  readonly details?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** False for a command the common options (--services, --data-dir) mean nothing to; default true. */
  readonly commonOptions?: boolean;
  /**
   * The commands under this one (`lk services up`), each named in full ('services up'). The word
   * after this command's name picks one; without one, this command's own run says which exist.
   */
  readonly subcommands?: readonly Command[];
  run(options: ParsedOptions, env: CommandEnv): Promise<number>;
}

export interface CommandEnv {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop cleanly. */
  readonly signal: AbortSignal;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  services: { type: 'string', valueName: 'embedded|real', description: 'embedded (no services: files + DuckDB) or real (Kafka, S3, PostgreSQL; see README). Env: LK_SERVICES', default: 'embedded' },
  'data-dir': { type: 'string', valueName: 'DIR', description: 'where embedded data lives. Env: LK_DATA_DIR', default: '.lk-data' },
  pipeline: { type: 'string', valueName: 'FILE', description: 'the pipeline (schema and views) to run: a .ts or .js file exporting definePipeline(...), see docs/pipelines.md. Env: LK_PIPELINE', default: 'examples/ecommerce/pipeline.ts' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** The options a command accepts: its own, then the common ones (only `help` when it takes no common options). */
function optionsOf(cmd: Command): Readonly<Record<string, OptionSpec>> {
  return cmd.commonOptions === false ? { ...cmd.options, help: COMMON_OPTIONS.help! } : { ...cmd.options, ...COMMON_OPTIONS };
}

/** The subcommand argv names (`services up ...` -> the `services up` command and the rest), else `cmd` itself. */
export function resolveCommand(cmd: Command, argv: readonly string[]): { readonly cmd: Command; readonly argv: readonly string[] } {
  const [word, ...rest] = argv;
  const sub = word === undefined ? undefined : cmd.subcommands?.find((c) => c.name === `${cmd.name} ${word}`);
  return sub ? resolveCommand(sub, rest) : { cmd, argv };
}

/** Parses argv for a command; unknown options are a BadRequestError naming them. */
export function parseCommandArgs(cmd: Command, argv: readonly string[]): ParsedOptions {
  const all = optionsOf(cmd);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(all)) options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  try {
    const { values } = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true });
    return values as ParsedOptions;
  } catch (err) {
    throw new BadRequestError('arguments', `${(err as Error).message}. Run \`lk ${cmd.name} --help\` for the options.`);
  }
}

/**
 * The configuration for a command: environment plus the common options. `ports` are the ports
 * the command opens: their settings are validated now, at its start; the others are not, so a bad
 * setting of a service the command never uses cannot stop it. `runId` names the data of a run
 * that must not share it (the demo; see ConfigOverrides.runId).
 */
export async function configFrom(options: ParsedOptions, ports: readonly PortName[] = ALL_PORTS, runId?: string): Promise<PlatformConfig> {
  const services = options.services;
  if (services !== undefined && services !== 'embedded' && services !== 'real') {
    throw new BadRequestError('--services', `must be embedded or real, got ${String(services)}`);
  }
  const pipeline = await loadPipelineFile(pipelineFileOf(options.pipeline as string | undefined));
  return loadConfig(process.env, {
    pipeline,
    services: services as 'embedded' | 'real' | undefined,
    dataDir: options['data-dir'] as string | undefined,
    port: options.port !== undefined ? intOption(options, 'port', 0, 65535) : undefined,
    stragglerDelayMs: options['straggler-delay-ms'] !== undefined ? intOption(options, 'straggler-delay-ms', 0, MAX_STRAGGLER_DELAY_MS) : undefined,
    runId,
  }, ports);
}

/** Reads a whole-number option within bounds, or undefined when absent. */
export function intOption(options: ParsedOptions, name: string, min: number, max: number): number;
export function intOption(options: ParsedOptions, name: string, min: number, max: number, fallback: number): number;
export function intOption(options: ParsedOptions, name: string, min: number, max: number, fallback?: number): number {
  const v = options[name];
  if (v === undefined) {
    if (fallback === undefined) throw new BadRequestError(`--${name}`, 'is required');
    return fallback;
  }
  const n = Number(String(v).replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequestError(`--${name}`, `must be a whole number from ${min} to ${max}, got ${String(v)}`);
  return n;
}

/** The options of `lk demo` and `lk generate` for knobs of the pipeline's own generator. */
export const GENERATOR_KNOB_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  knobs: { type: 'string', valueName: 'K=N,...', description: "the pipeline generator's own knobs, e.g. cards=500,merchants=80 (examples/payments) or drivers=100,zones=16 (examples/rides)" },
  users: { type: 'string', valueName: 'N', description: "distinct users (the e-commerce example's generator; its default 5000)" },
  products: { type: 'string', valueName: 'N', description: "distinct products (the e-commerce example's generator; its default 500)" },
};

/** Knobs with options of their own (--events, --seed, ...), which --knobs must not bypass. */
const SHARED_KNOBS: ReadonlySet<string> = new Set([...Object.keys(DEFAULT_WORKLOAD), 'ratePerSecond']);

/**
 * The knobs of the pipeline's own generator that were given (`--knobs K=N,...`, and `--users`,
 * `--products` of the e-commerce example), by name; one not given is left out, so the
 * generator's default holds. The generator checks their values.
 */
export function generatorKnobs(options: ParsedOptions): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof options.knobs === 'string') {
    for (const part of options.knobs.split(',')) {
      const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(-?[0-9][0-9_]*(?:\.[0-9]+)?)\s*$/.exec(part);
      if (!m) throw new BadRequestError('--knobs', `give NAME=NUMBER pairs separated by commas (e.g. cards=500,merchants=80), got ${JSON.stringify(part.slice(0, 60))}`);
      if (SHARED_KNOBS.has(m[1])) throw new BadRequestError('--knobs', `${m[1]} has an option of its own (see --help); --knobs is for the generator's own knobs`);
      out[m[1]] = Number(m[2].replaceAll('_', ''));
    }
  }
  for (const name of ['users', 'products']) if (options[name] !== undefined) out[name] = intOption(options, name, 1, 10_000_000);
  return out;
}

/** Reads a number option within bounds. */
export function numberOption(options: ParsedOptions, name: string, min: number, max: number, fallback: number): number {
  const v = options[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new BadRequestError(`--${name}`, `must be a number from ${min} to ${max}, got ${String(v)}`);
  return n;
}

/** Parses a time option: ISO-8601 with a zone, epoch ms, or 'now'. */
export function timeOption(options: ParsedOptions, name: string): number | undefined {
  const v = options[name];
  if (v === undefined) return undefined;
  const s = String(v);
  if (s === 'now') return Date.now();
  if (/^\d+$/.test(s)) return Number(s);
  const t = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? Date.parse(s) : Number.NaN;
  if (Number.isNaN(t)) throw new BadRequestError(`--${name}`, `must be ISO-8601 with a zone (2026-01-01T10:00:00Z), epoch ms or now; got ${s}`);
  return t;
}

/** The --help text of a command. */
export function helpOf(cmd: Command): string {
  const lines = [`lk ${cmd.name} - ${cmd.summary}`, ''];
  if (cmd.details) lines.push(cmd.details.trim(), '');
  if (cmd.subcommands) {
    lines.push('Commands:', ...cmd.subcommands.map((c) => `  lk ${c.name.padEnd(18)} ${c.summary}`), '', `Run \`lk ${cmd.name} <command> --help\` for its options.`, '');
  }
  lines.push('Options:');
  const all = optionsOf(cmd);
  for (const [name, spec] of Object.entries(all)) {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : ''}`;
    lines.push(`  ${flag.padEnd(34)} ${spec.description}${spec.default !== undefined ? ` (default: ${spec.default})` : ''}`);
  }
  return lines.join('\n');
}
