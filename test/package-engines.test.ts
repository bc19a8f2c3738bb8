/**
 * `npm ci` runs under the machine's Node, which may be older than the Node the project runs on
 * (scripts/node.sh fetches Node 24 then). The project's own `engines` must admit the Node that runs
 * npm, or every install on such a machine opens with an EBADENGINE warning about the project itself.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };

describe('npm ci under the machine\'s Node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-npm-ci-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('warns about no engine of the project itself', () => {
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(root, f), join(dir, f));
    // The machine's npm on PATH, as a user types it; --offline: the check needs only the lockfile.
    const ci = spawnSync('npm', ['ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(ci.status, ci.stderr).toBe(0);
    const warned = [...ci.stderr.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1]);
    expect(warned).not.toContain(`${pkg.name}@${pkg.version}`);
  });
});
