import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { CLI_BUNDLE, CLI_BUNDLE_INPUTS } from './cli-bundle.js';

/**
 * Builds the `safekeep` command (`npm start`, the package's `bin`): the
 * whole program as one file, `dist/src/cli/safekeep.cjs`, and the entry that
 * runs it with a V8 code cache, `dist/src/cli/main.js` (src/cli/bundle-entry.ts).
 *
 * Node spent most of a start resolving and compiling modules one by one: ~170
 * of ours and rxjs's 223 CommonJS files, of which the bus uses three. One
 * file, tree-shaken, starts in a fraction of that (README "Performance").
 * What the code imports with `await import()` (`check`, `replay`,
 * recording…) stays in the file but runs only when asked for; split into
 * chunks instead, the extra modules to load cost more than they saved. The
 * bundle is CommonJS because Node 20 can cache V8's compiled code only for a
 * script (`vm.Script`), not for an ES module.
 *
 * Next to them it writes the list of source files they were built from, which
 * `npm start` (scripts/safekeep.js) compares with the sources to rebuild a
 * command older than them.
 *
 * It also copies the status page's files into `dist/adapters/http/page/`: the
 * HTTP adapter looks for them above its own file, and an install that has only
 * `dist/` (the Docker image, a package) must find them there.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
const outdir = path.join(root, path.dirname(CLI_BUNDLE));
const program = path.join(outdir, 'safekeep.cjs');

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
 * jsonc-parser's main build is UMD, whose `require('./impl/…')` calls a bundler
 * cannot follow (the config file reader failed with "Cannot find module
 * './impl/format'"); its ES module build is the same code.
 */
const jsoncParserAsModules: Plugin = {
  name: 'jsonc-parser-as-modules',
  setup(bundler) {
    const jsoncRoot = path.dirname(createRequire(import.meta.url).resolve('jsonc-parser/package.json'));
    bundler.onResolve({ filter: /^jsonc-parser$/ }, () => ({ path: path.join(jsoncRoot, 'lib/esm/main.js') }));
  },
};

const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', metafile: true, logLevel: 'warning' } as const;

const bundled = await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: program,
  format: 'cjs',
  // Less for V8 to parse; names are kept, so a stack trace still reads (and the source map maps it).
  minifyWhitespace: true,
  minifySyntax: true,
  // No `keepNames`: it wraps every named function made at run time (closures on the request path: a tenth of its
  // CPU). Error classes name themselves after their class (`new.target.name`), so the check below makes sure
  // bundling renamed none of them.
  keepNames: false,
  sourcemap: true,
  // A native addon that picks its binary at run time: required from node_modules as it is.
  external: ['@node-rs/argon2'],
  // CommonJS has no import.meta; the one use (finding package.json) gets the bundle's own URL.
  define: { 'import.meta.url': '__safekeepModuleUrl' },
  banner: { js: "const __safekeepModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [rxjsAsModules, jsoncParserAsModules],
});

// esbuild renames a top-level name that two modules share (`Foo` becomes `Foo2`); a renamed error class would report the wrong name.
const bundleText = await readFile(program, 'utf8');
const renamed = [...bundleText.matchAll(/class (\w+?)(\d+) extends/g)].filter(([, base]) => bundleText.includes(`class ${base} extends`));
if (renamed.length > 0) throw new Error(`the bundle renamed ${renamed.map(([name]) => name).join(', ')}: give the classes distinct names`);

await rm(path.join(root, `${CLI_BUNDLE}.map`), { force: true });
// A cache made for the previous bundle is never read again (its name holds that bundle's hash).
for (const name of await readdir(outdir)) if (name.endsWith('.v8cache') || name.endsWith('.tmp')) await rm(path.join(outdir, name), { force: true });
const bundleHash = createHash('sha256').update(await readFile(program)).digest('hex').slice(0, 16);
const entry = await build({
  ...common,
  entryPoints: ['src/cli/bundle-entry.ts'],
  outfile: path.join(root, CLI_BUNDLE),
  format: 'esm',
  define: { SAFEKEEP_BUNDLE_HASH: JSON.stringify(bundleHash) },
});

// The page's files as the browser gets them (not its tsconfig.json, which only type-checks them).
const pageSource = 'adapters/http/page';
const pageFiles = (await readdir(path.join(root, pageSource))).filter((name) => /\.(?:html|css|js|png|svg)$/.test(name)).sort();
const pageCopy = path.join(root, 'dist', pageSource);
await rm(pageCopy, { recursive: true, force: true });
await mkdir(pageCopy, { recursive: true });
for (const name of pageFiles) await copyFile(path.join(root, pageSource, name), path.join(pageCopy, name));

// Our files only: a dependency changes with `npm install`, which builds anyway. The page's files too: their copy must follow an edit.
const inputs = new Set([...Object.keys(bundled.metafile.inputs), ...Object.keys(entry.metafile.inputs)].filter((input) => !input.startsWith('node_modules/')));
for (const name of pageFiles) inputs.add(`${pageSource}/${name}`);
inputs.add('scripts/build-cli.ts').add('scripts/cli-bundle.js');
await writeFile(path.join(root, CLI_BUNDLE_INPUTS), `${JSON.stringify([...inputs].sort(), null, 1)}\n`);
