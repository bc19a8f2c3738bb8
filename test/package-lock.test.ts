/**
 * The lockfile `npm ci` installs from: it must name every platform package an optional
 * dependency lists, or `npm ci` on a fresh clone refuses it as out of sync with package.json
 * (npm writes only the host's platform package when it updates a lockfile with node_modules present).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockPackage {
  readonly version?: string;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockPackage> };

describe('package-lock.json', () => {
  it('holds an entry for every optional dependency of every locked package, at the version asked for', () => {
    const missing: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
        // npm looks the dependency up next to its dependant first, then at the top.
        const nested = lock.packages[`${path}/node_modules/${name}`];
        const top = lock.packages[`node_modules/${name}`];
        const found = nested ?? top;
        if (!found) missing.push(`${name}@${version} (optional dependency of ${path || 'the root'})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
