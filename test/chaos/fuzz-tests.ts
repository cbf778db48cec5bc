import { fileURLToPath } from 'node:url';
import { run, TSX } from '../helpers/safekeep-process.ts';
import type { ChaosRow } from './chaos-row.ts';

const WIRE_FUZZ = fileURLToPath(new URL('../unit/wire-fuzz.test.ts', import.meta.url));

/**
 * The property-based fuzzing of both dialects (test/unit/wire-fuzz.test.ts:
 * random bytes cut at random read boundaries through the real framers and
 * codecs) at `runs` cases per property, in a child process so that a crash is
 * counted, not suffered.
 */
export async function runFuzzTests(runs: number): Promise<ChaosRow> {
  const child = await run(process.execPath, ['--import', TSX, '--test', '--test-reporter=tap', WIRE_FUZZ], { env: { ...process.env, FUZZ_RUNS: String(runs) } });
  const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(child.stdout)?.[1] ?? 0);
  const properties = count('tests');
  const failed = count('fail');
  return {
    experiment: `fuzzing both dialects (${runs.toLocaleString('en')} cases × ${properties} properties)`,
    faultsInjected: runs * properties,
    requestsSent: runs * properties,
    ackedWritesLost: 0,
    partialRegistered: 0,
    crashes: child.code === 0 || failed > 0 ? 0 : 1,
    failures: failed > 0 || child.code !== 0 ? [`${failed} properties failed (exit ${child.code}): ${child.stdout.split('\n').filter((line) => /^\s*(not ok|error:)/.test(line)).slice(0, 4).join(' / ')}`] : [],
  };
}
