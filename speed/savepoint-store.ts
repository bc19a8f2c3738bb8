import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { descriptorJson, parseDescriptor, parseState, SAVEPOINT_ID_PATTERN, stateJson, type SavepointDescriptor, type SavepointState } from '../shared/compute/savepoint-format.ts';
import { SavepointError } from '../shared/errors.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';

/** Where savepoints live in the object store: `savepoints/<id>/savepoint.json` and `savepoints/<id>/state.json.gz`. */
export const SAVEPOINTS_PREFIX = 'savepoints/';

/** The descriptor's key of a savepoint. */
export function descriptorKey(id: string): string {
  return `${SAVEPOINTS_PREFIX}${id}/savepoint.json`;
}

/** The state's key of a savepoint. */
export function stateKey(id: string): string {
  return `${SAVEPOINTS_PREFIX}${id}/state.json.gz`;
}

/**
 * Writes a savepoint: the gzipped state first, then the descriptor (with the state's size and
 * SHA-256), so a savepoint is listed only once all of it is stored.
 */
export async function putSavepoint(objects: ObjectStore, descriptor: Omit<SavepointDescriptor, 'state'>, state: SavepointState): Promise<SavepointDescriptor> {
  const bytes = gzipSync(stateJson(state));
  const key = stateKey(descriptor.id);
  const dir = await mkdtemp(join(tmpdir(), 'lk-savepoint-'));
  try {
    const file = join(dir, 'state.json.gz');
    await writeFile(file, bytes);
    await objects.putFile(key, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const full: SavepointDescriptor = { ...descriptor, state: { key, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } };
  await objects.putText(descriptorKey(descriptor.id), descriptorJson(full));
  return full;
}

/** A savepoint's descriptor; SavepointError naming the existing ones when there is none. */
export async function readDescriptor(objects: ObjectStore, id: string): Promise<SavepointDescriptor> {
  if (!SAVEPOINT_ID_PATTERN.test(id)) throw new SavepointError(`"${id}" is not a savepoint id (sp_<yyyymmddhhmmss>_<4 characters>): lk savepoint list shows them`);
  const key = descriptorKey(id);
  const text = await objects.getText(key);
  if (text === undefined) {
    const known = (await listSavepointIds(objects)).slice(-5);
    throw new SavepointError(`no savepoint ${id} in the object store (newest: ${known.join(', ') || 'none'}): lk savepoint list shows them, lk savepoint take makes one`);
  }
  return parseDescriptor(text, key);
}

/** A savepoint's state, checked against its descriptor's size and SHA-256. */
export async function readState(objects: ObjectStore, descriptor: SavepointDescriptor): Promise<SavepointState> {
  const bytes = await readFile(await objects.localPath(descriptor.state.key));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== descriptor.state.bytes || sha256 !== descriptor.state.sha256) {
    throw new SavepointError(`${descriptor.state.key} does not match its descriptor (size or SHA-256 differ: damaged or replaced): delete the savepoint (lk savepoint delete ${descriptor.id}) and take another`);
  }
  return parseState(gunzipSync(bytes).toString('utf8'), descriptor);
}

/** The ids of the stored savepoints (those with a descriptor), oldest first. */
export async function listSavepointIds(objects: ObjectStore): Promise<string[]> {
  const ids = new Set<string>();
  for (const o of await objects.list(SAVEPOINTS_PREFIX)) {
    const [id, name] = o.key.slice(SAVEPOINTS_PREFIX.length).split('/');
    if (name === 'savepoint.json' && SAVEPOINT_ID_PATTERN.test(id)) ids.add(id);
  }
  return [...ids].sort();
}

/** Every stored savepoint's descriptor, oldest first. */
export async function listSavepoints(objects: ObjectStore): Promise<SavepointDescriptor[]> {
  return Promise.all((await listSavepointIds(objects)).map((id) => readDescriptor(objects, id)));
}

/** Deletes a savepoint: the descriptor first (it is no longer listed or usable), then the rest of its objects. */
export async function deleteSavepoint(objects: ObjectStore, id: string): Promise<void> {
  await readDescriptor(objects, id);
  await objects.delete([descriptorKey(id)]);
  const rest = (await objects.list(`${SAVEPOINTS_PREFIX}${id}/`)).map((o) => o.key);
  await objects.delete(rest);
}
