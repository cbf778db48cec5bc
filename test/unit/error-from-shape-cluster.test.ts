import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobRunsElsewhereError, VersionUnavailableError } from '../../src/backup/errors.ts';
import { ClusterConfigMismatchError } from '../../src/cluster/cluster-errors.ts';
import { LeaseLostError } from '../../src/cluster/lease-errors.ts';
import { LeaseTtlTooLongError } from '../../src/cluster/shared-job-check.ts';
import { errorFromShape } from '../../src/host/error-from-shape.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';

describe('errorFromShape and the cluster errors', () => {
  it('brings a routed lease or shared-job error back as its class', () => {
    assert.ok(errorFromShape({ code: 'LEASE_LOST', message: 'lost' }) instanceof LeaseLostError);
    assert.ok(errorFromShape({ code: 'CLUSTER_CONFIG_MISMATCH', message: 'ttl' }) instanceof ClusterConfigMismatchError);
    assert.ok(errorFromShape({ code: 'LEASE_TTL_TOO_LONG', message: 'ttl' }) instanceof LeaseTtlTooLongError);
    assert.ok(errorFromShape({ code: 'JOB_RUNS_ELSEWHERE', message: 'there' }) instanceof JobRunsElsewhereError);
    assert.ok(errorFromShape({ code: 'VERSION_UNAVAILABLE', message: 'no' }) instanceof VersionUnavailableError);
  });

  it('has one class for STORE_UNAVAILABLE (the leases throw the store one)', () => {
    const error = errorFromShape({ code: 'STORE_UNAVAILABLE', message: 'down', detail: 'why' });
    assert.ok(error instanceof StoreUnavailableError);
    assert.equal(error.detail, 'why');
  });
});
