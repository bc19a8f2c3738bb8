import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { helpOf, intOption, parseCommandArgs, resolveCommand, timeOption, type Command } from '../../cli/command.ts';
import { commandEntries, loadCommands } from '../../cli/commands/index.ts';
import { BadRequestError } from '../../shared/errors.ts';

const run = promisify(execFile);
const commands = await loadCommands();
const demo = commands.find((c) => c.name === 'demo')!;

describe('lk command line', () => {
  it('every command and subcommand documents every option in --help, and the common ones where it takes them', () => {
    const all = (list: readonly Command[]): Command[] => list.flatMap((c) => [c, ...all(c.subcommands ?? [])]);
    for (const c of all(commands)) {
      const help = helpOf(c);
      for (const name of Object.keys(c.options)) expect(help).toContain(`--${name}`);
      if (c.commonOptions !== false) expect(help).toContain('--services');
      for (const sub of c.subcommands ?? []) expect(help).toContain(`lk ${sub.name}`);
    }
  });

  it('picks a subcommand by the word after its parent, and refuses the common options where they mean nothing', () => {
    const services = commands.find((c) => c.name === 'services')!;
    const { cmd, argv } = resolveCommand(services, ['up', '--dir', 'x']);
    expect(cmd.name).toBe('services up');
    expect(argv).toEqual(['--dir', 'x']);
    expect(resolveCommand(services, ['--help']).cmd).toBe(services);
    expect(() => parseCommandArgs(cmd, ['--services', 'real'])).toThrow(/lk services up --help/);
  });

  it('lists each command under the name it loads by', () => {
    expect(commands.map((c) => c.name)).toEqual(commandEntries.map((e) => e.name));
  });

  it('loads only the command it runs, not the others (nor their libraries)', async () => {
    // Prints, as the process exits, the command modules it loaded.
    const hooks = `import { registerHooks } from 'node:module'; const seen = new Set(); registerHooks({ load(url, context, next) { if (/-command\\.ts$/.test(url)) seen.add(url.split('/').pop()); return next(url, context); } }); process.on('exit', () => process.stderr.write('loaded ' + [...seen].sort().join(' ') + '\\n'));`;
    const result = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hooks)}`, 'cli/main.ts', 'ingest', '--help']);
    expect(/^loaded (.*)$/m.exec(result.stderr)?.[1]).toBe('ingest-command.ts');
  });

  it('refuses unknown options with the command to run for help', () => {
    expect(() => parseCommandArgs(demo, ['--evnets', '10'])).toThrow(/lk demo --help/);
  });

  it('checks numbers and times at the boundary', () => {
    expect(intOption({ events: '7' }, 'events', 1, 10, 5)).toBe(7);
    expect(intOption({}, 'events', 1, 10, 5)).toBe(5);
    expect(() => intOption({ events: 'abc' }, 'events', 1, 10, 5)).toThrow(BadRequestError);
    expect(() => intOption({ events: '11' }, 'events', 1, 10, 5)).toThrow(/from 1 to 10/);
    expect(timeOption({ from: '2026-01-01T00:00:00Z' }, 'from')).toBe(Date.UTC(2026, 0, 1));
    expect(timeOption({ from: '1767225600000' }, 'from')).toBe(1767225600000);
    expect(() => timeOption({ from: '2026-01-01T00:00:00' }, 'from')).toThrow(/with a zone/);
  });

  it('exits 2 with a clear message for an unknown command or a bad value', async () => {
    const node = process.execPath;
    await expect(run(node, ['cli/main.ts', 'frobnicate'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    await expect(run(node, ['cli/main.ts', 'demo', '--events', 'lots'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--events: must be a whole number') });
    await expect(run(node, ['cli/main.ts', 'batch', '--schedule', '--hourly-cron', '61 * * * *'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('"61 * * * *" is not a cron expression') });
    await expect(run(node, ['cli/main.ts', 'batch', '--daily-cron', '0 1 * * *'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('only applies with --schedule') });
    await expect(run(node, ['cli/main.ts', 'services'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('up, down or status') });
    await expect(run(node, ['cli/main.ts', 'services', 'up', '--kafka-port', '70000'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--kafka-port: must be a whole number from 1 to 65535') });
    const { stdout } = await run(node, ['cli/main.ts', '--help']);
    for (const c of commands) expect(stdout).toContain(c.name);
  });
});
