// How a shared room reaches NATS (issue 16): the servers' URLs (checked,
// never a secret) and credentials from the standard NATS places only: a NATS
// CLI context (user/password, token, nkey) or NATS_CREDS. Pure parsing is
// unit-tested; each kind of credential is used for real against a
// nats-server that requires it, through the real CLI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { nkeys } from '@nats-io/transport-node';
import { natsAccess } from '../server/nats/connect.ts';
import { natsName, streamName, subjectOf } from '../server/nats/event-stream.ts';
import { RoomError } from '../shared/errors.ts';
import { natsServers } from '../shared/nats-url.ts';
import { Machine } from './nats-machines.ts';
import { NatsServer } from './nats-server.ts';

/** A fresh XDG_CONFIG_HOME holding NATS contexts; `selected` is written to nats/context.txt. */
function contexts(t: TestContext, files: Record<string, object>, selected?: string): string {
  const home = mkdtempSync(join(tmpdir(), 'room-natsctx-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, 'nats', 'context'), { recursive: true });
  for (const [name, context] of Object.entries(files))
    writeFileSync(join(home, 'nats', 'context', `${name}.json`), JSON.stringify(context));
  if (selected !== undefined) writeFileSync(join(home, 'nats', 'context.txt'), `${selected}\n`);
  return home;
}

const usage = (fn: () => unknown) =>
  assert.throws(fn, (error: unknown) => error instanceof RoomError && error.code === 'usage');

test('NATS URLs: one or several, nats:// or tls:// or host:port; credentials, paths and other schemes refused', () => {
  assert.deepEqual(natsServers('nats://a:4222'), ['nats://a:4222']);
  assert.deepEqual(natsServers('a:1, tls://b:2 ,nats://c'), ['nats://a:1', 'tls://b:2', 'nats://c']);
  assert.deepEqual(natsServers('a:1,nats://a:1, a:1'), ['nats://a:1'], 'each server once');
  assert.throws(
    () => natsServers('nats://u:secret@a:1'),
    (error: Error) => {
      assert.equal(error.message.includes('secret'), false, 'the password is not repeated');
      assert.match(error.message, /^the NATS URL nats:\/\/a:1 carries credentials/);
      return true;
    },
  );
  for (const bad of [
    '',
    ' , ',
    'http://a:1',
    'nats://u:p@a:1',
    'nats://tok@a:1',
    'nats://a:1/x',
    'nats://a:1?x=1',
    'nats://',
  ])
    usage(() => natsServers(bad));
});

test('room ids as stream names and subjects: `.` and `_` escaped, so two ids never share a stream', () => {
  assert.equal(streamName('my-room'), 'ROOM_my-room');
  assert.equal(subjectOf('a.b'), 'room.a_2eb.events');
  const ids = ['a.b', 'a_b', 'a_2eb', 'a_5fb', 'A.b', 'a-b'];
  assert.equal(new Set(ids.map(natsName)).size, ids.length);
  for (const id of ids) assert.match(natsName(id), /^[A-Za-z0-9_-]+$/);
});

test('credentials come from the selected NATS context, NATS_CONTEXT, or NATS_CREDS', (t) => {
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  const home = contexts(
    t,
    { dev: { url: 'nats://ignored:1', user: 'alice', password: 'pw' }, tok: { token: 't0k' }, nk: { nkey: '' } },
    'dev',
  );
  const seedFile = join(home, 'user.nk');
  writeFileSync(seedFile, `${seed}\n`);
  writeFileSync(join(home, 'nats', 'context', 'nk.json'), JSON.stringify({ nkey: seedFile }));
  const env = { XDG_CONFIG_HOME: home };

  const dev = natsAccess('nats://h:4222', env);
  assert.deepEqual(dev.servers, ['nats://h:4222'], "the room's servers, not the context's url");
  assert.equal(dev.options.user, 'alice');
  assert.equal(dev.options.pass, 'pw');
  assert.equal(dev.source, 'context dev: user alice');
  assert.ok(!dev.source.includes('pw'), 'no secret in what is logged');

  const tok = natsAccess('nats://h:4222', { ...env, NATS_CONTEXT: 'tok' });
  assert.equal(tok.options.token, 't0k');
  assert.equal(tok.source, 'context tok: token');

  const nk = natsAccess('nats://h:4222', { ...env, NATS_CONTEXT: 'nk' });
  assert.ok(nk.options.authenticator !== undefined);
  assert.equal(nk.source, `context nk: nkey ${seedFile}`);

  const none = natsAccess('nats://h:4222', { XDG_CONFIG_HOME: join(home, 'nothing-here') });
  assert.equal(none.source, 'no credentials');

  usage(() => natsAccess('nats://h:4222', { ...env, NATS_CONTEXT: 'missing' }));
  usage(() => natsAccess('nats://h:4222', { ...env, NATS_CONTEXT: '../dev' }));
  usage(() => natsAccess('nats://h:4222', { ...env, NATS_CREDS: join(home, 'no.creds') }));
});

test('a room reaches a NATS server that requires a user and password, a token or an nkey, through a NATS context', async (t) => {
  const user = nkeys.createUser();
  const seedFile = join(mkdtempSync(join(tmpdir(), 'room-nkey-')), 'user.nk');
  t.after(() => rmSync(join(seedFile, '..'), { recursive: true, force: true }));
  writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()), { mode: 0o600 });
  const config = join(seedFile, '..', 'nats.conf');
  writeFileSync(config, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
  const servers = {
    password: await NatsServer.start(t, { args: ['--user', 'roomuser', '--pass', 's3cret-pw'] }),
    token: await NatsServer.start(t, { args: ['--auth', 's3cret-token'] }),
    nkey: await NatsServer.start(t, { args: ['-c', config] }),
  };
  const home = contexts(t, {
    password: { user: 'roomuser', password: 's3cret-pw' },
    wrong: { user: 'roomuser', password: 'not-it' },
    token: { token: 's3cret-token' },
    nkey: { nkey: seedFile },
  });
  for (const [kind, server] of Object.entries(servers)) {
    const machine = new Machine(t, `auth-${kind}`, server.url);
    const env = { XDG_CONFIG_HOME: home, NATS_CONTEXT: kind };
    const token = await machine.join('alice', env);
    const sent = await machine.send(token, `through ${kind}`);
    assert.equal(sent.code, 0, `${kind}: ${sent.stderr}`);
    const state = readFileSync(machine.dir.file(`room-auth-${kind}.state`), 'utf8');
    assert.ok(!state.includes('s3cret'), `${kind}: no secret in the state file`);
    assert.match(machine.log(), new RegExp(`credentials: context ${kind}`));
  }
  const refused = new Machine(t, 'auth-wrong', servers.password.url);
  const wrong = await refused.dir.run(['join', 'auth-wrong', 'alice', '--nats', servers.password.url], {
    env: { XDG_CONFIG_HOME: home, NATS_CONTEXT: 'wrong' },
  });
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.match(
    wrong.stderr,
    /cannot connect to the NATS server of this room .*credentials: context wrong: user roomuser/,
  );
  assert.ok(!wrong.stderr.includes('not-it'));
});

/** A CA and a server certificate for 127.0.0.1 and localhost, made with openssl in a fresh folder. */
function certificates(t: TestContext): { dir: string; ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'room-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-days', '1', '-subj', '/CN=room test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl('req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.pem',
  );
  return { dir, ca: at('ca.pem'), cert: at('server.pem'), key: at('server.key') };
}

test("a room reaches a NATS server over TLS with the context's CA; without it the start fails (exit 3)", async (t) => {
  const tls = certificates(t);
  const server = await NatsServer.start(t, { args: ['--tls', '--tlscert', tls.cert, '--tlskey', tls.key] });
  const url = `tls://127.0.0.1:${server.port}`;
  const home = contexts(t, { tls: { ca: tls.ca } });
  const machine = new Machine(t, 'tls', url);
  const token = await machine.join('alice', { XDG_CONFIG_HOME: home, NATS_CONTEXT: 'tls' });
  const sent = await machine.send(token, 'over TLS');
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(machine.log(), /credentials: context tls: TLS/);
  const untrusted = new Machine(t, 'tls', url);
  const refused = await untrusted.dir.run(['join', 'tls', 'bob', '--nats', url], {
    env: { XDG_CONFIG_HOME: join(home, 'none') },
  });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /cannot connect to the NATS server of this room/);
});
