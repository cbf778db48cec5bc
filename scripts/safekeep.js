import { spawnSync } from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { CLI_BUNDLE, whyRebuild } from './cli-bundle.js';

/*
 * `npm start` (and `npm run replay`, `npm run check`): runs the built command
 * (dist), not the sources through tsx, which cost a start ~0.6 s of
 * compiling. A checkout's edits must still be what runs, so a bundle that is
 * missing or older than its sources is rebuilt first (a second or so, said on
 * stderr); finding out is a few dozen stats.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
const why = whyRebuild(root);
if (why !== null) {
  process.stderr.write(`safekeep: building the command first (${why})\n`);
  // The build's own output goes to stderr too: stdout is the command's, for scripts that read its start line.
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-cli.ts'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (built.status !== 0) {
    process.stderr.write('safekeep: the build failed (see above); `npm install` installs what it needs\n');
    process.exit(1);
  }
}
await import(pathToFileURL(path.join(root, CLI_BUNDLE)).href);
