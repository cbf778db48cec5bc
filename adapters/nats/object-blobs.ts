import type { VersionBlobs } from '../../src/ports/version-blobs.ts';
import type { NatsLink } from './nats-link.ts';

/** Versions' bytes in a JetStream object store. (Skeleton: built in issue 14's versions part.) */
export class ObjectBlobs implements VersionBlobs {
  constructor(_options: { link: NatsLink; name: string; replicas: number }) {}

  async open(): Promise<void> {}

  putFile(): Promise<{ sha256: string; size: number }> {
    return Promise.reject(new Error('The object store is not built yet'));
  }

  getFile(): Promise<{ sha256: string; size: number }> {
    return Promise.reject(new Error('The object store is not built yet'));
  }

  delete(): Promise<void> {
    return Promise.reject(new Error('The object store is not built yet'));
  }
}
