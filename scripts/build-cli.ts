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
 * which `npm start` (scripts/safekeep.js) compares with the sources to rebuild
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

/**
 * The Argon2 addon is CommonJS that picks its native binary at run time, so it
 * stays outside the bundle. Imported as a module, Node would first run its
 * CommonJS export scanner (cjs-module-lexer, set up on first use) over it:
 * ~10-30 ms of a start in the CPU profile. Required, it costs what
 * `require` costs.
 */
const argon2ThroughRequire: Plugin = {
  name: 'argon2-through-require',
  setup(bundler) {
    bundler.onResolve({ filter: /^@node-rs\/argon2$/ }, ({ path: specifier, namespace }) =>
      namespace === 'argon2-through-require' ? { path: specifier, external: true } : { path: specifier, namespace: 'argon2-through-require' },
    );
    bundler.onLoad({ filter: /.*/, namespace: 'argon2-through-require' }, () => ({ contents: "module.exports = require('@node-rs/argon2');", loader: 'js' }));
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
  // Less for V8 to parse on every start; names are kept, so a stack trace still reads (and the source map maps it).
  minifyWhitespace: true,
  minifySyntax: true,
  // Error classes name themselves after their class (`new.target.name`): a bundle must not rename them.
  keepNames: true,
  sourcemap: true,
  // Bundled CommonJS (picomatch, the Argon2 addon's loader above) calls `require`.
  banner: { js: "import { createRequire as __safekeepCreateRequire } from 'node:module';\nconst require = __safekeepCreateRequire(import.meta.url);" },
  plugins: [rxjsAsModules, argon2ThroughRequire],
  metafile: true,
  logLevel: 'warning',
});
// Our files only: a dependency changes with `npm install`, which builds anyway; a plugin's module (`namespace:path`) is no file.
const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/') && !/^[\w-]+:/.test(input));
inputs.push('scripts/build-cli.ts', 'scripts/cli-bundle.js');
await writeFile(path.join(root, CLI_BUNDLE_INPUTS), `${JSON.stringify(inputs.sort(), null, 1)}\n`);
