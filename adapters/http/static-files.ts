import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file the HTTP adapter serves as it is on disk. */
export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** uPlot's files the page may ask for, by the name it asks (`/assets/NAME`); nothing else from node_modules is reachable. */
const UPLOT_ASSETS: Readonly<Record<string, string>> = {
  'uplot.esm.js': 'uPlot.esm.js',
  'uplot.min.css': 'uPlot.min.css',
};

/** A page file's name: no slash, no dot-dot, so a request cannot leave the folder. */
const PAGE_FILE = /^[a-z][a-z0-9-]*\.(?:html|css|js|png|svg)$/;

/**
 * The status page's files: those in `adapters/http/page/` and uPlot's from
 * its package, read from disk once and kept (they are small and never change
 * while the service runs). Found from this module's own location, which is
 * `adapters/http/` when run from source, and `dist/src/cli/` (the bundle) or
 * `dist/adapters/http/` (the compiled library) when built: the first folder
 * above it that holds `adapters/http/page/index.html` wins, which is the
 * checkout's for the sources and `dist/`'s own copy (made by the build) for
 * the built command, so an install with `dist/` alone (the Docker image)
 * finds its page.
 *
 * @example
 * const files = await StaticFiles.locate();
 * const page = await files.page('index.html'); // { body, contentType: 'text/html; charset=utf-8' }
 * const uplot = await files.asset('uplot.esm.js');
 */
export class StaticFiles {
  readonly #pageDir: string;
  readonly #uplotDir: string;
  readonly #cache = new Map<string, StaticFile>();

  private constructor(pageDir: string, uplotDir: string) {
    this.#pageDir = pageDir;
    this.#uplotDir = uplotDir;
  }

  /** Finds the folders; rejects with what is missing, so a broken install fails at start rather than on the first visit. */
  static async locate(moduleUrl: string = import.meta.url): Promise<StaticFiles> {
    const pageDir = await findPageDir(path.dirname(fileURLToPath(moduleUrl)));
    const uplotDir = path.join(path.dirname(createRequire(moduleUrl).resolve('uplot/package.json')), 'dist');
    return new StaticFiles(pageDir, uplotDir);
  }

  /** A page file (`index.html`, `page.js`…), or null when there is no such file. */
  page(name: string): Promise<StaticFile | null> {
    return PAGE_FILE.test(name) ? this.#read(path.join(this.#pageDir, name)) : Promise.resolve(null);
  }

  /** One of uPlot's files by its page name (`uplot.esm.js`, `uplot.min.css`), or null. */
  asset(name: string): Promise<StaticFile | null> {
    const file = Object.hasOwn(UPLOT_ASSETS, name) ? UPLOT_ASSETS[name] : undefined;
    return file === undefined ? Promise.resolve(null) : this.#read(path.join(this.#uplotDir, file));
  }

  async #read(file: string): Promise<StaticFile | null> {
    const cached = this.#cache.get(file);
    if (cached) return cached;
    const contentType = TYPES[path.extname(file)];
    if (contentType === undefined) return null;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw error;
    }
    const found = { body, contentType };
    this.#cache.set(file, found);
    return found;
  }
}

async function findPageDir(from: string): Promise<string> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'adapters', 'http', 'page');
    if (await access(path.join(candidate, 'index.html')).then(() => true, () => false)) return candidate;
    if (path.dirname(dir) === dir) throw new PageFilesNotFoundError(from);
  }
}

/**
 * The install lacks the status page's files: `--http` cannot serve. Its `code`
 * is ENOENT's, so the command tells it as one line (no stack): what is missing
 * and where it looked.
 */
class PageFilesNotFoundError extends Error {
  readonly code = 'ENOENT';

  constructor(from: string) {
    super(`the status page's files (adapters/http/page/index.html) were not found in any folder above ${from}; rebuild (npm run build copies them into dist/) or reinstall`);
    this.name = 'PageFilesNotFoundError';
  }
}
