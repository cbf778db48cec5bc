import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { percent } from './bar-table.ts';
import { selfTimeByOrigin, topSelfTimes } from './cpu-profile-top.ts';
import { TEXT_REQUEST, type WireRig } from './wire-rig.ts';

const LOAD_MS = 3_000;
const TOP_FUNCTIONS = 12;

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * A safekeep run with `--cpu-prof` under text, then JSON, 8 × 8 load: its
 * busy time per reply, split by origin (xstate, emittery, node, GC, …) and
 * by function, for each load's window alone. Returns the lines to print.
 */
export async function profileUnderLoad(rig: WireRig, jsonRequest: string): Promise<string[]> {
  const profileDir = path.join(rig.root, 'profile');
  const { server } = await rig.servingSafekeep([], ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  const windows: { name: string; fromUs: number; toUs: number; replies: number }[] = [];
  try {
    for (const [name, request] of [['text `revert`', TEXT_REQUEST], ['JSON `number_of_users`', jsonRequest]] as const) {
      const fromUs = monotonicUs();
      const { replies } = await rig.generator.load({ port: server.port, request, connections: 8, depth: 8, durationMs: LOAD_MS });
      windows.push({ name, fromUs, toUs: monotonicUs(), replies });
    }
  } finally {
    // SIGTERM: safekeep stops cleanly, and node writes the profile on the way out.
    await server.stop();
  }
  const file = path.join(profileDir, (await readdir(profileDir))[0] as string);
  const lines: string[] = [];
  for (const window of windows) {
    const origins = await selfTimeByOrigin(file, window);
    const busyMs = origins.reduce((sum, origin) => sum + origin.ms, 0);
    lines.push(
      '',
      `CPU profile of safekeep under ${window.name}, 8 × 8, ${LOAD_MS / 1000} s: busy ${busyMs.toFixed(0)} ms for ${window.replies} replies (${((busyMs * 1000) / window.replies).toFixed(0)} µs each); self time by origin, then the top functions`,
    );
    for (const { name, share } of origins) lines.push(`  ${percent(share).padStart(4)}  ${name}`);
    for (const { name, share } of await topSelfTimes(file, TOP_FUNCTIONS, window)) lines.push(`  ${percent(share).padStart(4)}  ${name}`);
  }
  return lines;
}
