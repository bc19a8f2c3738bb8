import { MANIFEST_KEY } from '../../../../batch/batch-manifest.ts';
import type { ObjectInfo, ObjectStore } from '../../../../shared/ports/object-store.ts';

/**
 * An object store that remembers every batch manifest read through it since the last `take()`:
 * the manifests a served answer was computed from, so a test can check the answer against each.
 */
export class ManifestRecorder implements ObjectStore {
  readonly #inner: ObjectStore;
  #seen: string[] = [];

  constructor(inner: ObjectStore) {
    this.#inner = inner;
  }

  /** The distinct manifest texts read since the last call (absent manifests are not listed). */
  take(): string[] {
    const out = [...new Set(this.#seen)];
    this.#seen = [];
    return out;
  }

  async getText(key: string): Promise<string | undefined> {
    const text = await this.#inner.getText(key);
    if (key === MANIFEST_KEY && text !== undefined) this.#seen.push(text);
    return text;
  }

  putFile(key: string, localFile: string): Promise<void> {
    return this.#inner.putFile(key, localFile);
  }

  putText(key: string, text: string): Promise<void> {
    return this.#inner.putText(key, text);
  }

  localPath(key: string): Promise<string> {
    return this.#inner.localPath(key);
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.#inner.list(prefix);
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.#inner.delete(keys);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
