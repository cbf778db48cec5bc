import * as backupErrors from '../backup/errors.ts';
import * as bookErrors from '../book/errors.ts';
import * as clusterErrors from '../cluster/cluster-errors.ts';
import * as leaseErrors from '../cluster/lease-errors.ts';
import * as sharedJobErrors from '../cluster/shared-job-check.ts';
import { SafekeepError, type ErrorShape } from '../errors/safekeep-error.ts';
import * as protocolErrors from '../protocol/errors.ts';
import * as storeErrors from '../store/errors.ts';
import * as hostErrors from './errors.ts';

type ErrorClass = new (message: string, options?: { detail?: string }) => SafekeepError;

// Every error class safekeep raises, by code. Built from the error modules so a new class is included without a list to keep;
// built on first use, not at load, because it constructs one error (and its stack trace) of each class, and a start need not pay for that.
let classesByCode: Map<string, ErrorClass> | null = null;

function classesByCodeMap(): Map<string, ErrorClass> {
  classesByCode ??= new Map<string, ErrorClass>(
    [backupErrors, bookErrors, clusterErrors, leaseErrors, sharedJobErrors, protocolErrors, storeErrors, hostErrors]
      .flatMap((module) => Object.values(module) as unknown[])
      .filter((value): value is ErrorClass => typeof value === 'function' && value.prototype instanceof SafekeepError)
      .map((ErrorClass) => [new ErrorClass('').code, ErrorClass]),
  );
  return classesByCode;
}

/**
 * Turns an error's plain-data form (as it travels on the bus) back into an
 * instance of its class, so an embedding app can `catch` by class:
 * `error instanceof LoginFailedError`. A code no class has becomes an
 * `InternalError` that keeps it.
 */
export function errorFromShape(shape: ErrorShape): SafekeepError {
  const ErrorClass = classesByCodeMap().get(shape.code);
  const detail = shape.detail === undefined ? {} : { detail: shape.detail };
  return ErrorClass ? new ErrorClass(shape.message, detail) : new hostErrors.InternalError(shape.message, { code: shape.code, ...detail });
}
