import { MANIFEST_KEY } from '../../../../batch/batch-manifest.ts';
import { ForwardingObjectStore } from '../../../support/forwarding-object-store.ts';

/**
 * An object store that remembers every batch manifest read through it since the last `take()`:
 * the manifests a served answer was computed from, so a test can check the answer against each.
 */
export class ManifestRecorder extends ForwardingObjectStore {
  #seen: string[] = [];

  /** The distinct manifest texts read since the last call (absent manifests are not listed). */
  take(): string[] {
    const out = [...new Set(this.#seen)];
    this.#seen = [];
    return out;
  }

  override async getText(key: string): Promise<string | undefined> {
    const text = await this.inner.getText(key);
    if (key === MANIFEST_KEY && text !== undefined) this.#seen.push(text);
    return text;
  }
}
