import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';

/**
 * Turns a self-contained bench script (node built-ins only) into plain
 * JavaScript in `outDir`, so that a baseline runs on bare `node` and is not
 * charged tsx's loading time, as safekeep from `dist` is not either.
 * Returns the `.mjs` file's path.
 */
export async function compileBenchScript(tsFile: string, outDir: string): Promise<string> {
  const source = await readFile(tsFile, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    fileName: tsFile,
  });
  const file = path.join(outDir, `${path.basename(tsFile, '.ts')}.mjs`);
  await writeFile(file, outputText);
  return file;
}
