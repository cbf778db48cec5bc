import type { ObjectResult } from '@nats-io/obj';
import { VersionStoreFailedError } from '../../src/backup/errors.ts';

/**
 * An object's bytes as they arrive, chunk by chunk. The client checks the
 * object's digest itself and fails the stream on a mismatch; a download that
 * stalls (the connection gone, JetStream without a leader) is given up after
 * `idleMs` without a chunk rather than left waiting for ever.
 */
export async function* objectChunks(result: ObjectResult, idleMs: number): AsyncGenerator<Uint8Array> {
  const reader = result.data.getReader();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new VersionStoreFailedError(`The download of ${result.info.name} stalled: no bytes for ${idleMs} ms`)), idleMs);
      });
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await Promise.race([reader.read(), stalled]);
      } finally {
        clearTimeout(timer);
      }
      if (next.done) break;
      yield next.value;
    }
    const failed = await result.error;
    if (failed) throw failed;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
