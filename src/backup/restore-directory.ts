import { RestoreNotSupportedError } from './errors.ts';
import type { RestoreFileRequest } from './restore-file.ts';

/**
 * Puts a directory snapshot back. The one place a directory version's restore
 * lands: until snapshots can be restored, it refuses cleanly, before anything
 * on disk is touched. Wire the real restore in here.
 */
export async function restoreDirectory(_request: RestoreFileRequest): Promise<void> {
  throw new RestoreNotSupportedError('Restoring a directory snapshot is not supported yet; its `revert` path is a complete, plain copy that can be copied back by hand');
}
