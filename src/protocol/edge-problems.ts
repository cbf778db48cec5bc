import type { SafekeepError } from '../errors/safekeep-error.ts';
import { RequestTooDeepError, RequestTooSlowError, TooManyConnectionsError } from './errors.ts';
import type { TransportProblem } from './messages.ts';

/**
 * The error for a problem that the socket's limits found (nesting, pace,
 * capacity), the same in both dialects; null for any other problem, which
 * each dialect words in its own terms.
 */
export function edgeProblemError(problem: TransportProblem | undefined): SafekeepError | null {
  switch (problem) {
    case 'too-deep':
      return new RequestTooDeepError('Request nested too deeply.');
    case 'too-slow':
      return new RequestTooSlowError('The request did not arrive whole in time; closing the connection.');
    case 'too-many-connections':
      return new TooManyConnectionsError('Every connection is busy; try again shortly.');
    default:
      return null;
  }
}
