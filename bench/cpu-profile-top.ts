import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds on the machine's monotonic clock (what `process.hrtime` reads). */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's self time in a V8 CPU profile. */
export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

/**
 * The functions with the most self time in a `.cpuprofile` (`node
 * --cpu-prof`): each sample's time goes to the function on top of the stack,
 * summed over every node of the same function and place. With `window`
 * (monotonic microseconds, `process.hrtime.bigint() / 1000n`), only the
 * samples taken inside it: the phases measured, not the start-up.
 */
export async function topSelfTimes(file: string, count: number, window?: { fromUs: number; toUs: number }): Promise<SelfTime[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const nameOf = new Map<number, string>();
  for (const { id, callFrame } of profile.nodes) {
    const where = callFrame.url ? ` ${callFrame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}:${callFrame.lineNumber + 1}` : '';
    nameOf.set(id, `${callFrame.functionName || '(anonymous)'}${where}`);
  }
  const { micros, total } = sampleTimes(profile, nameOf, window);
  return [...micros]
    .filter(([name]) => name !== '(idle)' && name !== '(program)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1_000, share: us / total }));
}

/** Where a function's code comes from: a package under node_modules, node itself, or the project. */
function originOf(url: string, functionName: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node internals';
  if (url === '') return functionName === '(garbage collector)' ? 'garbage collector' : 'native (syscalls, V8 builtins)';
  return 'safekeep (its own code)';
}

/**
 * Self time summed by origin (each package under node_modules, node's own
 * JavaScript, the garbage collector, native code, the project's code), as
 * shares of the busy time in `window`: the split the profile reads.
 */
export async function selfTimeByOrigin(file: string, window?: { fromUs: number; toUs: number }): Promise<SelfTime[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const originOfNode = new Map<number, string>();
  for (const { id, callFrame } of profile.nodes) {
    if (callFrame.functionName === '(idle)' || callFrame.functionName === '(program)') continue;
    originOfNode.set(id, originOf(callFrame.url, callFrame.functionName));
  }
  // Idle and program nodes have no origin: they count in no share.
  const { micros, total: busy } = sampleTimes(profile, originOfNode, window);
  return [...micros].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1_000, share: us / busy }));
}

/**
 * Each sample's time (inside `window`, if given) summed under the key `keyOf`
 * gives its node, and the time of the samples counted. A node without a key
 * is not counted at all.
 */
function sampleTimes(profile: CpuProfile, keyOf: ReadonlyMap<number, string>, window?: { fromUs: number; toUs: number }): { micros: Map<string, number>; total: number } {
  const micros = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((node, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const key = keyOf.get(node);
    if (key === undefined) return;
    micros.set(key, (micros.get(key) ?? 0) + delta);
    total += delta;
  });
  return { micros, total };
}
