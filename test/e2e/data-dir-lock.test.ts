import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/bus/bus.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { StoreClient } from '../../src/store/store-client.ts';
import { LowdbStore } from '../../adapters/store/lowdb-store.ts';
import { SAFEKEEP_ARGV, TSX, run, spawnSafekeep } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const RACER = fileURLToPath(new URL('./children/lock-race.ts', import.meta.url));
const ZOMBIE_PARENT = fileURLToPath(new URL('./children/zombie-parent.py', import.meta.url));

/** A pid no process has: one past the kernel's largest. */
async function deadPid(): Promise<number> {
  return Number(await readFile('/proc/sys/kernel/pid_max', 'utf8')) + 1;
}

/** Waits (a real process dies in real time) until `pid` is a zombie: state Z in /proc/<pid>/stat. */
async function becomesZombie(pid: number): Promise<boolean> {
  for (let tries = 0; tries < 100; tries++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return true;
    await sleep(50);
  }
  return false;
}

function race(dataDir: string, name: string, pauseMs: number): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, RACER, dataDir, name, String(pauseMs), '40'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines: out.split('\n').filter(Boolean) }));
  });
}

describe('the data directory lock across processes', () => {
  it('lets exactly one of two processes racing a stale lock own the directory, and loses no acknowledged write', async () => {
    const dataDir = await tempDir('lock-race');
    await writeFile(path.join(dataDir, 'safekeep.lock'), JSON.stringify({ pid: await deadPid(), processStart: '1', hostname: hostname() }));
    const results = await Promise.all([race(dataDir, 'a', 400), race(dataDir, 'b', 400)]);

    const owners = results.filter((result) => result.lines.includes('owner'));
    assert.equal(owners.length, 1, `owners: ${JSON.stringify(results)}`);
    const refused = results.find((result) => !result.lines.includes('owner'));
    assert.deepEqual(refused?.lines, ['refused DATA_DIR_LOCKED']);
    assert.equal(refused?.code, 3);

    const acked = results.flatMap((result) => result.lines.filter((line) => line.startsWith('acked ')).map((line) => line.slice(6)));
    const bus = new Bus();
    const store = new LowdbStore({ dataDir, ids: sequentialIds() });
    await store.start(bus);
    const client = new StoreClient(bus, sequentialIds());
    const stored = await client.list<{ key: string }>('race');
    client.dispose();
    await store.stop();
    assert.deepEqual(acked.filter((key) => stored[key]?.key !== key), [], 'acknowledged writes were lost');
  });

  it('is not held by a zombie: an owner killed and never reaped leaves the directory free', async (t) => {
    const python = await new Promise<boolean>((resolve) => execFile('python3', ['--version'], (error) => resolve(error === null)));
    if (!python) return t.skip('python3 is not installed here');
    const dataDir = await tempDir('lock-zombie');
    const parent = spawn('python3', [ZOMBIE_PARENT, process.execPath, ...SAFEKEEP_ARGV, '--data-dir', dataDir, '--port', '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const zombiePid = await new Promise<number>((resolve, reject) => {
        parent.stdout.setEncoding('utf8').once('data', (text: string) => resolve(Number(text.trim())));
        parent.once('exit', (code) => reject(new Error(`the zombie parent exited (${code})`)));
      });
      assert.equal(await becomesZombie(zombiePid), true, 'the killed safekeep is a zombie while the test runs');

      const second = spawnSafekeep(['--data-dir', dataDir, '--port', '0'], dataDir);
      try {
        assert.ok((await second.port()) > 0);
        const lock = JSON.parse(await readFile(path.join(dataDir, 'safekeep.lock'), 'utf8'));
        assert.equal(lock.pid, second.child.pid);
      } finally {
        await second.stop();
      }
    } finally {
      parent.stdin.end();
      await new Promise((resolve) => parent.once('close', resolve));
    }
  });

  it('still refuses a second process while the owner lives, with DATA_DIR_LOCKED and its pid', async () => {
    const dataDir = await tempDir('lock-live');
    const first = spawnSafekeep(['--data-dir', dataDir, '--port', '0'], dataDir);
    try {
      await first.port();
      const second = await run(process.execPath, [...SAFEKEEP_ARGV, '--data-dir', dataDir, '--port', '0']);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`^safekeep: .*in use by another safekeep process \\(pid ${first.child.pid}\\).*DATA_DIR_LOCKED`, 'm'));
    } finally {
      await first.stop();
    }
  });

  it('needs no manual unlock after the owner is killed with SIGKILL', async () => {
    const dataDir = await tempDir('lock-kill');
    const first = spawnSafekeep(['--data-dir', dataDir, '--port', '0'], dataDir);
    await first.port();
    assert.deepEqual(await first.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
    const second = spawnSafekeep(['--data-dir', dataDir, '--port', '0'], dataDir);
    try {
      assert.ok((await second.port()) > 0);
    } finally {
      await second.stop();
    }
  });

  it('is one lock for every spelling of a directory (a symlink to it too), and removes leftover claim and temp files', async () => {
    const dataDir = await tempDir('lock-spelling');
    await writeFile(path.join(dataDir, 'safekeep.lock.lock_3.safekeep-tmp'), '{"pid":');
    await writeFile(path.join(dataDir, 'safekeep.lock.lock_2'), '{}');
    const alias = `${dataDir}-alias`;
    await symlink(dataDir, alias);
    const bus = new Bus();
    const store = new LowdbStore({ dataDir, ids: sequentialIds() });
    await store.start(bus);
    try {
      await assert.rejects(new LowdbStore({ dataDir: `${alias}/`, ids: sequentialIds() }).start(new Bus()), { code: 'DATA_DIR_LOCKED' });
      assert.deepEqual((await readdir(dataDir)).filter((name) => name.startsWith('safekeep.lock')), ['safekeep.lock']);
    } finally {
      await store.stop();
      await unlink(alias);
    }
  });

  it('respects a lock written by a process on another host sharing the disk', async () => {
    const dataDir = await tempDir('lock-foreign');
    await writeFile(path.join(dataDir, 'safekeep.lock'), JSON.stringify({ pid: 4242, hostname: `not-${hostname()}` }));
    const second = await run(process.execPath, [...SAFEKEEP_ARGV, '--data-dir', dataDir, '--port', '0']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /pid 4242 on host not-/);
  });
});
