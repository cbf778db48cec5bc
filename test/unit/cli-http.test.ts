import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';
import { httpUrl, isLoopback, startupLine } from '../../src/cli/startup-line.ts';

const httpOf = (...args: string[]) => {
  const parsed = parseCli(args, '/tmp');
  return parsed.kind === 'run' ? parsed.config.http : parsed.kind;
};

describe('--http', () => {
  it('is off unless given', () => {
    assert.equal(httpOf(), null);
  });

  it('takes a port alone, on loopback, and 0 for a free port', () => {
    assert.deepEqual(httpOf('--http', '8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(httpOf('--http', '0'), { host: '127.0.0.1', port: 0 });
  });

  it('takes HOST:PORT and [IPv6]:PORT', () => {
    assert.deepEqual(httpOf('--http', '0.0.0.0:9000'), { host: '0.0.0.0', port: 9000 });
    assert.deepEqual(httpOf('--http', 'localhost:9000'), { host: 'localhost', port: 9000 });
    assert.deepEqual(httpOf('--http', '[::1]:9000'), { host: '::1', port: 9000 });
  });

  for (const bad of ['', 'soon', '65536', '-1', 'host:', ':80', 'a:b:80', '127.0.0.1:http', '[::1]', '1.5', 'host: 80']) {
    it(`refuses ${JSON.stringify(bad)} with a reason that shows what is expected`, () => {
      const parsed = parseCli([`--http=${bad}`], '/tmp');
      assert.equal(parsed.kind, 'error');
      if (parsed.kind === 'error') assert.match(parsed.message, /^--http '.*' is not PORT or HOST:PORT \(for example 8080/);
    });
  }

  it('is in the help', () => {
    assert.match(HELP, /--http \[HOST:\]PORT/);
  });
});

describe('the startup line and the loopback check', () => {
  it('says where the status page is, after where the socket listens', () => {
    const line = startupLine({ host: '127.0.0.1', port: 12345 }, [], '/b', { host: '127.0.0.1', port: 8080 });
    assert.match(line, /^safekeep listening on 127\.0\.0\.1:12345; status page at http:\/\/127\.0\.0\.1:8080\/; no backup job/);
    assert.doesNotMatch(startupLine({ host: '127.0.0.1', port: 12345 }, [], '/b'), /status page/);
  });

  it('brackets an IPv6 host in the URL', () => {
    assert.equal(httpUrl({ host: '::1', port: 80 }), 'http://[::1]:80/');
  });

  it('counts 127.x, ::1 and localhost as loopback, and nothing else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com', '127.0.0.1.example.com']) assert.ok(!isLoopback(host), host);
  });
});
