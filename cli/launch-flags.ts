/**
 * V8 settings some commands need from the start, which Node takes only on its command line (V8
 * sizes the heap when the process starts; `v8.setFlagsFromString` later has no effect on it).
 *
 * `lk ingest`: V8 grows its young generation (two semi-spaces) whenever the bytes that survived
 * scavenges since the last growth exceed its size, so a long run at a high allocation rate ends at
 * the maximum, 2 x 64 MiB on a 64-bit Node 24, whatever few objects are alive: 128 MiB of RSS
 * that holds 2-5 MiB. Capped at 16 MiB per semi-space, `lk ingest` of a 303 MB file into Kafka
 * peaks at about 180-215 MB instead of 280-345 (docs/decisions.md).
 */
const LAUNCH_FLAGS: Readonly<Record<string, readonly string[]>> = {
  ingest: ['--max-semi-space-size=16'],
};

/** Node's command line for `lk <argv>` with the command's launch flags, or undefined when it has none or already runs with them (or the user set them). */
export function relaunchArgs(argv: readonly string[], execArgv: readonly string[], nodeOptions: string, script: string): string[] | undefined {
  const flags = LAUNCH_FLAGS[argv[0] ?? ''] ?? [];
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.split('=')[0]);
  const missing = flags.filter((f) => !given.includes(f.split('=')[0]));
  if (missing.length === 0) return undefined;
  return [...execArgv, ...missing, script, ...argv];
}

/**
 * Replaces this process by the same `lk` command launched with its launch flags (process.execve:
 * same pid, stdio and signals, no second process), before anything was read or written. Where
 * Node has no execve (Windows), the command runs as it is, with V8's defaults.
 */
export function relaunchWithFlags(argv: readonly string[]): void {
  const args = relaunchArgs(argv, process.execArgv, process.env.NODE_OPTIONS ?? '', process.argv[1]);
  if (args === undefined || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...args], process.env);
}
