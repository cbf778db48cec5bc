import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../helpers/free-port.ts';
import { run, spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import type { ChaosRow } from './chaos-row.ts';
import { LineClient } from './line-client.ts';
import { scratchDir } from './scratch-dir.ts';

const MIB = 1024 * 1024;
const MASTER = 'correct horse battery staple';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Appends to `file` until the file system has no byte left, in ever smaller pieces. */
async function fillUp(file: string): Promise<void> {
  const handle = await open(file, 'a');
  try {
    for (let piece = 64 * 1024; piece >= 1; piece = Math.floor(piece / 2)) {
      for (;;) {
        const written = await handle.write(Buffer.alloc(piece)).then(({ bytesWritten }) => bytesWritten, () => 0);
        if (written < piece) break;
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * The data directory on a size-limited tmpfs that safekeep fills up: backups
 * until the disk is full, then the book's first write (a new collection on a
 * full disk), then entries until full again. Every refusal must be a coded
 * error, the service must keep answering, and once space is freed (a filler
 * file removed) writes work again; after a `kill -9` and a restart every
 * acknowledged backup and entry is there. Mounting needs root and a kernel
 * that allows it: where it does not, the experiment says so and is skipped.
 */
export async function runDiskFull(options: { sizeMiB?: number } = {}): Promise<ChaosRow> {
  const experiment = 'disk full (tmpfs)';
  const scratch = await scratchDir('disk-full');
  const mount = path.join(scratch.path, 'mnt');
  await mkdir(mount);
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', `size=${options.sizeMiB ?? 6}m`, 'tmpfs', mount]).catch((error: unknown) => ({ code: -1, stderr: String(error), stdout: '' }));
  if (mounted.code !== 0) {
    await scratch.dispose();
    return { experiment, faultsInjected: 0, requestsSent: 0, ackedWritesLost: 0, partialRegistered: 0, crashes: 0, skipped: `cannot mount a tmpfs here (${mounted.stderr.trim() || `exit ${mounted.code}`})` };
  }

  const failures: string[] = [];
  let requestsSent = 0;
  let crashes = 0;
  let killing = false;
  const port = await freePort();
  const source = path.join(scratch.path, 'source.bin');
  const filler = path.join(mount, 'filler');
  const args = ['--source', source, '--interval', '1h', '--port', String(port), '--data-dir', path.join(mount, 'data')];
  const watch = (process: SafekeepProcess) =>
    void process.exited.then((exit) => {
      if (!killing) {
        crashes++;
        failures.push(`the service exited by itself (${JSON.stringify(exit)}): ${process.stderr.slice(-300)}`);
      }
    });

  try {
    await writeFile(filler, Buffer.alloc(MIB));
    let content = Buffer.alloc(MIB, 1);
    await writeFile(source, content);
    let server = spawnSafekeep(args, scratch.path);
    watch(server);
    await server.port();
    const text = await LineClient.connect(port);
    if (!text) throw new Error('cannot connect');

    // 1. Backups until the disk is full; each must be acknowledged or refused with a code.
    const ackedBackups: string[] = [];
    let refusal = '';
    for (let i = 0; i < 20 && !refusal; i++) {
      content = Buffer.alloc(MIB, i + 2);
      await writeFile(source, content);
      requestsSent++;
      const reply = await text.request('backup\n');
      if (reply === 'Backup completed') ackedBackups.push(sha256(content));
      else refusal = reply ?? 'no reply';
    }
    if (!/^Error \(DESTINATION_FULL\)/.test(refusal)) failures.push(`a backup on a full disk answered '${refusal}'`);

    // The copy that did not fit left room for small files; take that too, to the last byte.
    await fillUp(path.join(mount, 'filler-tail'));

    // 2. The book's first write: a new collection on a full disk.
    const json = await LineClient.connect(port);
    if (!json) throw new Error('cannot connect');
    requestsSent++;
    const firstWrite = await json.json({ type: 'user.register', username: 'ann', masterPassword: MASTER });
    const firstCode = firstWrite?.['error']?.code as string | undefined;
    if (firstWrite?.['ok'] !== true && firstCode !== 'STORE_WRITE_FAILED') failures.push(`the first book write on a full disk answered ${JSON.stringify(firstWrite)}`);
    requestsSent++;
    if ((await text.request('revert\n')) === null) failures.push('revert was not answered on a full disk');

    // 3. Space comes back: the service recovers without a restart.
    await rm(filler);
    await rm(path.join(mount, 'filler-tail'));
    if (firstWrite?.['ok'] !== true) {
      requestsSent++;
      const again = await json.json({ type: 'user.register', username: 'ann', masterPassword: MASTER });
      if (again?.['ok'] !== true) failures.push(`registering after space came back answered ${JSON.stringify(again)}`);
    }
    requestsSent++;
    const login = await json.json({ type: 'session.login', username: 'ann', masterPassword: MASTER });
    const token = login?.['result']?.token as string | undefined;
    if (!token) throw new Error(`login failed: ${JSON.stringify(login)}`);
    const ackedEntries = new Map<string, string>();
    let entryRefusal = '';
    for (let i = 0; i < 2_000 && !entryRefusal; i++) {
      const password = `${i}-`.padEnd(4_000, 'x');
      requestsSent++;
      const reply = await json.json({ type: 'entry.add', token, name: `e${i}`, password });
      if (reply?.['ok'] === true) ackedEntries.set(`e${i}`, password);
      else entryRefusal = reply?.['error']?.code ?? JSON.stringify(reply);
    }
    if (entryRefusal !== 'STORE_WRITE_FAILED') failures.push(`an entry on a full disk answered ${entryRefusal || 'ok every time'}`);
    // Full again, and still answering.
    requestsSent++;
    if ((await json.json({ type: 'entry.list', token }))?.['ok'] !== true) failures.push('entry.list failed on a full disk');

    // 4. kill -9 on the full disk, free some space, restart: everything acknowledged is there.
    text.close();
    json.close();
    killing = true;
    server.child.kill('SIGKILL');
    await server.exited;
    await rm(path.join(mount, 'data', 'backups'), { recursive: true, force: true }).catch(() => undefined);
    killing = false;
    server = spawnSafekeep(args, scratch.path);
    watch(server);
    await server.port();
    const check = await LineClient.connect(port);
    const checkText = await LineClient.connect(port);
    if (!check || !checkText) throw new Error('cannot connect after the restart');
    requestsSent++;
    const relogin = await check.json({ type: 'session.login', username: 'ann', masterPassword: MASTER });
    const token2 = relogin?.['result']?.token as string | undefined;
    let lost = 0;
    if (!token2) failures.push(`login after the restart: ${JSON.stringify(relogin)}`);
    else {
      requestsSent++;
      const list = await check.json({ type: 'entry.list', token: token2 });
      const names = new Set(((list?.['result']?.entries ?? []) as { name: string }[]).map((entry) => entry.name));
      for (const name of ackedEntries.keys()) if (!names.has(name)) lost++;
    }
    // The backups folder was removed above to make room: revert must never name a missing file (the restart
    // may already have copied the source anew, which is the current content).
    requestsSent++;
    const revert = await checkText.request('revert\n');
    const servable = new Set([...ackedBackups, sha256(content)]);
    if (revert !== 'No backup found.' && !(revert && servable.has(await readFile(revert).then(sha256, () => 'missing')))) {
      failures.push(`revert after the restart answered '${revert}'`);
    }
    check.close();
    checkText.close();
    killing = true;
    await server.stop('SIGTERM');
    return {
      experiment,
      faultsInjected: 3,
      requestsSent,
      ackedWritesLost: lost,
      partialRegistered: 0,
      crashes,
      failures,
      notes: `${ackedBackups.length} backups and ${ackedEntries.size} entries acknowledged before the disk was full`,
    };
  } finally {
    await run('umount', ['-l', mount]).catch(() => undefined);
    await scratch.dispose();
  }
}
