// The gateway's pure parts: one-time secrets (once, then never; not after
// they expire) and the Host/Origin check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusal } from '../client/web/guard.ts';
import { OneTimeSecrets, SECRET_LIFETIME_MS } from '../client/web/secrets.ts';

const grant = { token: '8f9a3c1e-0000-4000-8000-000000000001', user: 'alice' };

test('a secret is redeemed once, for what it was issued for', () => {
  const secrets = new OneTimeSecrets();
  const secret = secrets.issue(grant);
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/, '256 bits, URL-safe');
  assert.equal(secrets.waiting, true);
  assert.deepEqual(secrets.redeem(secret), grant);
  assert.equal(secrets.redeem(secret), undefined);
  assert.equal(secrets.waiting, false);
  assert.equal(secrets.redeem(''), undefined);
  assert.equal(secrets.redeem(`${secret}x`), undefined);
});

test('a secret expires unused', () => {
  let now = 1_000_000;
  const secrets = new OneTimeSecrets(() => now);
  const secret = secrets.issue(grant);
  now += SECRET_LIFETIME_MS - 1;
  assert.equal(secrets.waiting, true);
  now += 1;
  assert.equal(secrets.waiting, false);
  assert.equal(secrets.redeem(secret), undefined);
});

test('only the own Host passes, and an Origin only if it is the own one', () => {
  const origin = 'http://127.0.0.1:4321';
  assert.equal(refusal({ host: '127.0.0.1:4321' }, origin), undefined);
  assert.equal(refusal({ host: '127.0.0.1:4321', origin }, origin), undefined);
  for (const host of [undefined, '', 'evil.example:4321', 'localhost:4321', '127.0.0.1', '127.0.0.1:4322'])
    assert.match(refusal({ host }, origin)?.message ?? '', /wrong Host header/, String(host));
  for (const from of ['null', 'http://evil.example', 'http://127.0.0.1:4322', 'https://127.0.0.1:4321'])
    assert.match(refusal({ host: '127.0.0.1:4321', origin: from }, origin)?.message ?? '', /refused/, from);
});
