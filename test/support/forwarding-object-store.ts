import type { ObjectInfo, ObjectStore } from '../../shared/ports/object-store.ts';

/** An object store that hands every call to another: tests extend it to watch or change one call. */
export class ForwardingObjectStore implements ObjectStore {
  protected readonly inner: ObjectStore;

  constructor(inner: ObjectStore) {
    this.inner = inner;
  }

  putFile(key: string, localFile: string): Promise<void> {
    return this.inner.putFile(key, localFile);
  }

  putText(key: string, text: string): Promise<void> {
    return this.inner.putText(key, text);
  }

  getText(key: string): Promise<string | undefined> {
    return this.inner.getText(key);
  }

  localPath(key: string): Promise<string> {
    return this.inner.localPath(key);
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.inner.delete(keys);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
