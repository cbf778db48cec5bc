import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { CLI_BUNDLE, CLI_BUNDLE_INPUTS } from './cli-bundle.js';

/**
 * Builds the `safekeep` command (`npm start`, the package's `bin`) as one
 * file, `dist/src/cli/main.js`. Node spends most of a start resolving and
 * compiling modules one by one: ~170 of ours and rxjs's 223 CommonJS files,
 * of which the bus uses three. One file, tree-shaken, starts in a fraction
 * of that (README "Performance"). What the code imports with `await
 * import()` (`check`, `replay`, recording…) stays in the file but runs only
 * when asked for; split into chunks instead, the extra modules to load cost
 * more than they saved.
 *
 * Next to the bundle it writes the list of source files it was built from,
 * which `npm start` (scripts/start.js) compares with the sources to rebuild
 * a bundle that is older than them.
 */
const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * rxjs maps Node to its CommonJS build, which a bundler cannot tree-shake;
 * its ES2015 module build is the same code as modules.
 */
const rxjsAsModules: Plugin = {
  name: 'rxjs-as-modules',
  setup(bundler) {
    const rxjsRoot = path.dirname(createRequire(import.meta.url).resolve('rxjs/package.json'));
    bundler.onResolve({ filter: /^rxjs$/ }, () => ({ path: path.join(rxjsRoot, 'dist/esm/index.js') }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: path.join(root, CLI_BUNDLE),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Error classes name themselves after their class (`new.target.name`): a bundle must not rename them.
  keepNames: true,
  sourcemap: true,
  // A native addon that picks its binary at run time: loaded from node_modules as it is.
  external: ['@node-rs/argon2'],
  // Bundled CommonJS (picomatch) calls `require` for Node's built-ins.
  banner: { js: "import { createRequire as __safekeepCreateRequire } from 'node:module';\nconst require = __safekeepCreateRequire(import.meta.url);" },
  plugins: [rxjsAsModules],
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
inputs.push('scripts/build-cli.ts', 'scripts/cli-bundle.js');
await writeFile(path.join(root, CLI_BUNDLE_INPUTS), `${JSON.stringify(inputs.sort(), null, 1)}\n`);
