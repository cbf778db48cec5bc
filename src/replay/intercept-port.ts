/**
 * `port` with its methods named in `ops` replaced by `around(op, args, call)`,
 * where `call()` runs the original. Everything else (other methods, fields) is
 * the original's, bound to it, so a class with private fields still works.
 */
export function interceptPort<T extends object>(
  port: T,
  ops: readonly string[],
  around: (op: string, args: unknown[], call: () => Promise<unknown>) => Promise<unknown>,
): T {
  const replaced = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>(
    ops.map((op) => [op, (...args: unknown[]) => around(op, args, () => (Reflect.get(port, op) as (...args: unknown[]) => Promise<unknown>).apply(port, args))]),
  );
  return new Proxy(port, {
    get(target, property) {
      const intercepted = replaced.get(property);
      if (intercepted) return intercepted;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
