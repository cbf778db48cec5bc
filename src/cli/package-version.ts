import { readFile } from 'node:fs/promises';

/**
 * The version in safekeep's own package.json. The CLI runs from `src/cli`
 * (through tsx) or from `dist/src/cli` (built), so it looks upwards for the
 * first package.json that is safekeep's.
 */
export async function packageVersion(): Promise<string> {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    const text = await readFile(new URL('package.json', dir), 'utf8').catch(() => null);
    const manifest = text === null ? null : (JSON.parse(text) as { name?: unknown; version?: unknown });
    if (manifest?.name === 'safekeep' && typeof manifest.version === 'string') return manifest.version;
    if (new URL('../', dir).href === dir.href) return 'unknown';
  }
}
