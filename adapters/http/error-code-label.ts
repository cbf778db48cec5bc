/** An error code as safekeep makes them: upper snake case, short. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * An error code fit for a metric label. Codes come from safekeep's own error
 * classes, a bounded set; anything else (an adapter or embedding app that put
 * its own words on the bus) counts as `OTHER`, so no stray text becomes a label.
 */
export function errorCodeLabel(code: string): string {
  return ERROR_CODE.test(code) ? code : 'OTHER';
}
