import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { JsonClient } from '../helpers/json-client.ts';
import { BUILT_ARGV, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Debian's chromium (`apt-get install chromium`; .ci/run installs it); SAFEKEEP_CHROMIUM names another. */
const CHROMIUM = process.env['SAFEKEEP_CHROMIUM'] ?? '/usr/bin/chromium';
const OUTPUT = path.join(REPO, 'test-output');
/** CI services set CI (GitHub, GitLab: `CI=true`); there the test must run, not skip. */
const IN_CI = (process.env['CI'] ?? '') !== '' && !/^(?:0|false)$/i.test(process.env['CI'] ?? '');
/** Set to 1 to also refresh the README's screenshot from this run. */
const UPDATE_DOCS = process.env['SAFEKEEP_UPDATE_SCREENSHOT'] === '1';

const running: SafekeepProcess[] = [];
let browser: Browser | null = null;
// A failed test must leave neither the service nor the browser running.
after(async () => {
  await browser?.close().catch(() => undefined);
  await Promise.all(running.map((service) => service.stop('SIGKILL')));
});

/** Sends `backup` over the text dialect and waits for its answer. */
async function backup(port: number): Promise<void> {
  const client = await TestClient.connect(port);
  client.send('backup\n');
  const [line] = await client.lines(1);
  client.destroy();
  assert.match(line ?? '', /^Backup completed/);
}

describe('the status page in a real browser', () => {
  it('shows the service, updates live after a backup without a reload, and plots the runs', async (t) => {
    if (!existsSync(CHROMIUM)) {
      const why = `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set SAFEKEEP_CHROMIUM`;
      // In CI (.ci/run installs it) a missing browser is a failure, not a skip nobody reads.
      if (IN_CI) assert.fail(`${why} (CI=${process.env['CI']}: the browser test must run in CI)`);
      t.skip(why);
      return;
    }
    const folder = await tempDir('status-page');
    const source = path.join(folder, 'notes.txt');
    await writeFile(source, 'my first notes\n');
    const service = new SafekeepProcess(['--source', 'notes.txt', '--interval', '1h', '--port', '0', '--http', '127.0.0.1:0'], folder, [], BUILT_ARGV);
    running.push(service);
    const port = await service.port();
    const [, url = ''] = await service.waitFor('stdout', /status page at (http:\/\/127\.0\.0\.1:\d+\/)/);

    // A user with two entries, so the header has counts to show (and never their names).
    const json = await JsonClient.connect(port);
    const ann = { username: 'ann', masterPassword: 'correct horse battery staple' };
    await json.ok({ type: 'user.register', ...ann });
    const token = (await json.ok({ type: 'session.login', ...ann })).token;
    for (const name of ['bank', 'mail']) await json.ok({ type: 'entry.add', token, name, password: `${name}-secret` });
    json.close();
    // A few runs of growing size before the page opens, so the plot has a line to draw.
    for (let i = 2; i <= 4; i++) {
      await writeFile(source, `my notes, take ${i}\n`.repeat(400 * i));
      await backup(port);
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`));

    await page.goto(url);
    await page.waitForSelector('#live[data-state="live"]');
    const row = page.locator('#jobs tr[data-job="notes.txt"]');
    await row.waitFor();
    const versionsBefore = Number(await row.locator('td.versions').textContent());
    assert.equal(versionsBefore, 4);
    assert.match((await page.locator('#book').textContent()) ?? '', /1 user, 2 entries/);
    const updatesBefore = Number(await page.locator('body').getAttribute('data-updates'));

    // The live update: a backup over the socket, and the row's count goes up without a reload.
    await writeFile(source, 'my notes, take 5\n'.repeat(2500));
    await backup(port);
    await row.locator('td.versions', { hasText: new RegExp(`^${versionsBefore + 1}$`) }).waitFor();
    assert.ok(Number(await page.locator('body').getAttribute('data-updates')) > updatesBefore, 'the page was updated, not reloaded');
    await page.locator('#recent li.run-copied').first().waitFor();

    // The plots hold the data: five runs with durations and sizes, and the requests made.
    // Runs in the browser (a function, not text: the page's CSP refuses eval), on the plots page.js exposes.
    const plotted = await page.evaluate(() => {
      type Plot = { data: (number | null)[][] };
      const { plots } = (globalThis as unknown as { safekeep: { plots: { runs: Plot; requests: Plot } } }).safekeep;
      return { runs: plots.runs.data[0]?.length ?? 0, sizes: plots.runs.data[2] ?? [], requests: plots.requests.data[1] ?? [] };
    });
    assert.equal(plotted.runs, 5);
    assert.ok(plotted.sizes.every((size) => typeof size === 'number' && size > 0), `sizes ${JSON.stringify(plotted.sizes)}`);
    assert.ok(plotted.requests.some((rate) => (rate ?? 0) > 0), 'the requests plot has the requests made');
    assert.equal(await page.locator('#plot-runs').getAttribute('data-points'), '5');
    assert.equal(await page.locator('#plot-runs canvas').count(), 1);

    const html = await page.content();
    for (const secret of ['bank', 'mail', 'correct horse', 'ann']) assert.ok(!html.includes(secret), `the page must not show '${secret}'`);
    assert.deepEqual(problems, [], 'no script error, no CSP refusal, no failed load');

    await mkdir(OUTPUT, { recursive: true });
    const shot = path.join(OUTPUT, 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (UPDATE_DOCS) await copyFile(shot, path.join(REPO, 'docs', 'status-page.png'));
    await browser.close();
    browser = null;
    await service.stop();
  });
});
