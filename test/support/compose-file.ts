/**
 * docker-compose.yml as data, for the tests that hold it to the code: the static checks in
 * test/docker-compose.test.ts and the stack run without Docker in
 * test/integration/e2e/compose-stack.test.ts. Merge keys (`<<: *platform`) are resolved, so a
 * service reads as Compose would see it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly ports: readonly string[];
  readonly restart?: string;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
}

export interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
}

/** The platform's own processes in the stack (the services built from the Dockerfile). */
export const PLATFORM_SERVICES = ['speed', 'batch', 'serve'] as const;

/** Reads and parses the repository's docker-compose.yml; `${VAR:-default}` reads as its default. */
export function readComposeFile(path = new URL('../../docker-compose.yml', import.meta.url)): ComposeFile {
  const text = readFileSync(path, 'utf8').replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
  const raw = parse(text, { merge: true }) as { services: Record<string, Record<string, unknown>> };
  const services: Record<string, ComposeService> = {};
  for (const [name, s] of Object.entries(raw.services)) {
    const environment = Object.fromEntries(Object.entries((s.environment ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    services[name] = { ...(s as object), environment, ports: (s.ports ?? []) as string[] } as ComposeService;
  }
  return { services };
}

/** A service by name, or an error naming the ones the file has. */
export function serviceOf(compose: ComposeFile, name: string): ComposeService {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"; it has ${Object.keys(compose.services).join(', ')}`);
  return s;
}

/** The tag of an image reference (`apache/kafka:3.9.2` -> `3.9.2`). */
export function imageTag(image: string | undefined): string {
  const tag = image?.split(':').at(-1);
  if (!image || !tag || tag === image) throw new Error(`image "${image}" has no tag; pin one`);
  return tag;
}
