import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { targetOrigin, urlsAsOrigins } from '../../adapters/notify/target-origin.ts';

describe('URLs in a command’s output, cut to their origins', () => {
  it('keeps the scheme, host and port of each URL and drops user, password, path and query', () => {
    assert.equal(urlsAsOrigins('+ curl -fsS -m 10 https://hc-ping.com/5b2c9a1e-s3cret/fail'), '+ curl -fsS -m 10 https://hc-ping.com');
    assert.equal(
      urlsAsOrigins('POST http://bot:pa55word@127.0.0.1:8080/hooks/T0/B1/s3cret?key=abc and https://chat.example.com/s3cret failed'),
      'POST http://127.0.0.1:8080 and https://chat.example.com failed',
    );
  });

  it('leaves punctuation after a URL and quotes around it where they were', () => {
    assert.equal(urlsAsOrigins('refused (see https://hooks.example.com/x/s3cret).'), 'refused (see https://hooks.example.com).');
    assert.equal(urlsAsOrigins(`curl: (22) "https://hooks.example.com/s3cret" returned 403`), `curl: (22) "https://hooks.example.com" returned 403`);
  });

  it('cuts URLs of any scheme, whatever their case, and names one it cannot read without repeating it', () => {
    assert.equal(urlsAsOrigins('HTTPS://Hooks.Example.com/S3CRET'), 'https://hooks.example.com');
    assert.equal(urlsAsOrigins('redis://:s3cret@cache.local:6379/0 is down'), 'redis://cache.local:6379 is down');
    assert.equal(urlsAsOrigins('bad https://[s3cret/x'), 'bad an unreadable URL');
  });

  it('leaves text without URLs as it is', () => {
    assert.equal(urlsAsOrigins('smtp: connection refused at 10:00:01'), 'smtp: connection refused at 10:00:01');
    assert.equal(urlsAsOrigins(''), '');
  });

  it('targetOrigin names the host of a scheme the URL standard gives no origin', () => {
    assert.equal(targetOrigin('smtp://user:s3cret@mail.example.com:25/x'), 'smtp://mail.example.com:25');
    assert.equal(targetOrigin('https://user:pw@hooks.example.com/T0/B1/XYZ?x=1'), 'https://hooks.example.com');
  });
});
