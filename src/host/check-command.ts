import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from '../backup/interval.ts';
import type { JobChanges } from '../backup/job-changes.ts';
import { checkedRetentionPolicy, policyOfKeep } from '../backup/retention-policy.ts';
import { parseBookRequest } from '../book/book-messages.ts';
import { InvalidFieldError } from '../book/errors.ts';
import { isJsonObject } from '../json/is-json-object.ts';
import { BACKUP_MESSAGES } from '../protocol/backup-messages.ts';
import { checkedFlag, checkedJobRef, checkedPath, checkedVersionRef, optionalPath, requiredJobRef } from '../protocol/backup-fields.ts';
import type { Command } from '../protocol/commands.ts';
import { forgetCommandOf } from '../protocol/forget-command.ts';
import { InvalidRequestError } from '../protocol/errors.ts';

/**
 * Checks a command that came in as data (an in-process request, from an app
 * in plain JavaScript, or from an adapter that emits `request.submitted`):
 * the types promise nothing at run time. Book requests get the same checks as
 * the JSON dialect's; a secret given as a plain string becomes a `Secret`.
 */
export function checkCommand(command: unknown): Command {
  if (!isJsonObject(command)) throw new InvalidRequestError('A request must be an object');
  switch (command['kind']) {
    case 'backup.run':
    case 'backup.versions':
    case 'job.pause':
    case 'job.resume':
      return { kind: command['kind'], job: checkedJobRef(command['job']) };
    case 'backup.revert': {
      const version = checkedVersionRef(command['version']);
      return { kind: 'backup.revert', job: checkedJobRef(command['job']), ...(version === undefined ? {} : { version }) };
    }
    case 'backup.restore': {
      const version = checkedVersionRef(command['version']);
      const target = optionalPath('target', command['target']);
      return { kind: 'backup.restore', job: checkedJobRef(command['job']), ...(version === undefined ? {} : { version }), ...(target === undefined ? {} : { target }) };
    }
    case 'backup.verify':
      return { kind: 'backup.verify' };
    case 'backup.status':
      return { kind: 'backup.status' };
    case 'backup.forget':
      return forgetCommandOf(command);
    case 'job.add':
      // Any `configured` in the data is ignored: a request is always confined (see Host.addConfiguredJob).
      return { kind: 'job.add', spec: checkedJobSpec(command['spec']) };
    case 'job.remove':
      return { kind: 'job.remove', job: requiredJobRef(command['job']), forget: checkedFlag('forget', command['forget']) };
    case 'book':
      if (!isJsonObject(command['request'])) throw new InvalidRequestError('A book request must be an object with a type');
      return { kind: 'book', request: parseBookRequest(command['request']) };
    default:
      throw new InvalidRequestError(`There is no in-process request '${String(command['kind']).slice(0, 64)}'`);
  }
}

function checkedJobSpec(spec: unknown): JobChanges {
  if (!isJsonObject(spec)) throw new InvalidFieldError('A job needs { sourcePath, intervalMs, retention? } or { source, interval? }');
  // The socket's shape, as `add` and the `job.add` message take it.
  if (Object.hasOwn(spec, 'source')) {
    const message = BACKUP_MESSAGES['job.add'];
    const unknown = Object.keys(spec).find((key) => !message.fields.includes(key));
    if (unknown !== undefined) throw new InvalidFieldError(`'job.add' has no field '${unknown.slice(0, 64)}'`);
    const command = message.toCommand(spec);
    return (command as Extract<Command, { kind: 'job.add' }>).spec;
  }
  const { intervalMs, keep, retention } = spec;
  const sourcePath = checkedPath('sourcePath', spec['sourcePath']);
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
    throw new InvalidFieldError(`'intervalMs' must be a whole number of milliseconds from ${MIN_INTERVAL_MS} (a second) to ${MAX_INTERVAL_MS} (a year)`);
  }
  if (keep !== undefined && keep !== null && (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1)) {
    throw new InvalidFieldError("'keep' must be a whole number of at least 1, or null to keep every version");
  }
  if (keep !== undefined && keep !== null && retention !== undefined) throw new InvalidFieldError("Give 'retention' or its shorthand 'keep', not both");
  // Neither given: the job keeps the policy it has (a new one keeps every version).
  if (retention === undefined && (keep === undefined || keep === null)) return { sourcePath, intervalMs, ...(keep === null ? { retention: policyOfKeep(null) } : {}) };
  return { sourcePath, intervalMs, retention: retention === undefined ? policyOfKeep(keep) : checkedRetentionPolicy(retention, 'retention') };
}
