// pgbr backrest against an S3 repository over TLS (pgBackRest 2.45 talks to object stores only over
// TLS): s3rver, the fake S3 server the offsite tests use, behind a TLS front with a self-signed
// certificate made by openssl in a temp folder at test time; pgBackRest checks the certificate
// against it (repo1-storage-ca-file, verify-tls stays on). Our runner gets the S3 keys only from
// PGBACKREST_REPO1_S3_KEY / _KEY_SECRET in its environment, never from argv or its config file; the
// server's archive-push reads them from a config include folder only its archive_command names.
// stanza-create, check, a full backup through pgbr, info listing it, verify; teardown stops the
// cluster, the TLS front and s3rver, and the test checks no pgbackrest outlived the backup.
// What s3rver could not serve as it is: a listing with a delimiter (see fixDelimiterListing). What
// pgBackRest 2.45 needs from the certificate: 127.0.0.1 as a DNS name (it does not match IP
// names: "unable to find hostname '127.0.0.1' in certificate common name or subject alternative names").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import S3rver from 's3rver';
import type { Cluster } from './cluster';
import { startBackrestRepo } from './backrestRepo';
import { processesWith } from './processes';
import { runBackrest } from '../../src/core/backrest/run';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const STANZA = 's3it';
const BUCKET = 'pgbr-backrest';
// s3rver's fixed test credentials.
const KEY = 'S3RVER';
const SECRET = 'S3RVER';
let cluster: Cluster | undefined;
let work: string;
let config: string;
let s3: S3rver | undefined;
let front: tls.Server | undefined;
const sockets = new Set<net.Socket>();
const secretEnv = { PGBACKREST_REPO1_S3_KEY: KEY, PGBACKREST_REPO1_S3_KEY_SECRET: SECRET };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  argv: string[];
}

function run(args: string[]): Promise<Ran> {
  const argv = [pgbr, 'backrest', ...args, '--workspace', work];
  const child = spawn(process.execPath, argv, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...secretEnv } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, argv })));
}

interface ListResult {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface ListStore {
  listObjects(bucket: string, options: { delimiter?: string; prefix?: string; maxKeys?: number; startAfter?: string }): Promise<ListResult>;
}

/**
 * s3rver 3's listing with a delimiter reports a common prefix only for a "folder" holding an object
 * directly: its walk stops one level below the prefix. pgBackRest's verify lists archive/<stanza>/
 * with delimiter "/", and 15-1/ holds only 0000000100000000/…, so verify saw no archive id ("archiveId:
 * none found") although info listed the WAL. The shim lists without the delimiter and folds the keys
 * into common prefixes itself, as S3 does.
 */
function fixDelimiterListing(server: S3rver): void {
  const store = (server as unknown as { store: ListStore }).store;
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const delimiter = options.delimiter;
    if (!delimiter) return list(bucket, options);
    const prefix = options.prefix ?? '';
    const all = await list(bucket, { ...options, delimiter: '', maxKeys: Infinity });
    const prefixes = new Set<string>();
    const objects: ListResult['objects'] = [];
    for (const object of all.objects) {
      const at = object.key.slice(prefix.length).indexOf(delimiter);
      if (at === -1) objects.push(object);
      else prefixes.add(object.key.slice(0, prefix.length + at + delimiter.length));
    }
    const max = options.maxKeys ?? Infinity;
    return { objects: objects.slice(0, max), commonPrefixes: [...prefixes].sort(), isTruncated: objects.length > max };
  };
}

/** A TLS listener on 127.0.0.1 passing each connection's bytes to s3rver's plain HTTP port. */
async function tlsFront(key: Buffer, cert: Buffer, upstreamPort: number): Promise<{ server: tls.Server; port: number }> {
  const server = tls.createServer({ key, cert }, (socket) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s)).on('error', () => {
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-backrest-s3-'));
  const tlsDir = path.join(work, 'tls');
  // pgBackRest 2.45 matches the endpoint against the certificate's DNS names only, so 127.0.0.1 is one of them too.
  await fs.mkdir(tlsDir);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1',
    '-keyout', path.join(tlsDir, 'key.pem'), '-out', path.join(tlsDir, 'cert.pem'),
  ], { stdio: 'ignore' });
  await fs.chmod(path.join(tlsDir, 'cert.pem'), 0o644);
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(work, 's3'), configureBuckets: [{ name: BUCKET }] });
  fixDelimiterListing(s3);
  const s3Port = (await s3.run()).port;
  const started = await tlsFront(await fs.readFile(path.join(tlsDir, 'key.pem')), await fs.readFile(path.join(tlsDir, 'cert.pem')), s3Port);
  front = started.server;

  const keysDir = path.join(work, 'keys.d');
  await fs.mkdir(keysDir);
  // Only the server's archive-push reads this folder (its archive_command names it); pgbr's runs never do.
  await fs.writeFile(path.join(keysDir, 'keys.conf'), `[global]\nrepo1-s3-key=${KEY}\nrepo1-s3-key-secret=${SECRET}\n`, { mode: 0o600 });
  ({ cluster, config } = await startBackrestRepo(STANZA, '', {
    work,
    repoLines: [
      'repo1-type=s3',
      'repo1-path=/repo',
      'repo1-s3-endpoint=127.0.0.1',
      'repo1-s3-uri-style=path',
      `repo1-s3-bucket=${BUCKET}`,
      'repo1-s3-region=us-east-1',
      `repo1-storage-port=${started.port}`,
      `repo1-storage-ca-file=${path.join(tlsDir, 'cert.pem')}`,
    ],
    archivePushOptions: `--config-include-path=${keysDir}`,
    // pgBackRest's key files and the certificate belong to the server's user too.
    ownedByServer: [tlsDir, keysDir, path.join(keysDir, 'keys.conf')],
  }));
  await cluster.sql('CREATE TABLE t (id int PRIMARY KEY, pad text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g;');
});

after(async () => {
  await cluster?.stop();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
  await s3?.close();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('stanza-create on the S3 repository over TLS, with the keys only in the environment', async () => {
  // The runner passes its own environment on: the keys go there, after the server started without them.
  Object.assign(process.env, secretEnv);
  const created = await runBackrest({ stanza: STANZA, config }, 'stanza-create', []);
  assert.equal(created.status, 'succeeded', created.status === 'failed' ? `${created.message}\n${created.stderrTail.join('\n')}` : '');
});

test('check through pgbr: the server archives to the S3 repository and pgBackRest finds the segment there', async () => {
  const r = await run(['check', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { ok: boolean; archived: { segment: string; repo: string }[] };
  assert.equal(doc.ok, true);
  assert.equal(doc.archived.length, 1);
  assert.match(doc.archived[0]?.segment ?? '', /^[0-9A-F]{24}$/);
});

test('a full backup through pgbr lands in the S3 repository, info lists it, verify finds nothing wrong; no key in any argv', async () => {
  const seen: string[] = [];
  const sampler = setInterval(() => {
    for (const p of processesWith('pgbackrest')) if (!p.includes('archive-push')) seen.push(p.replace(/^\d+ /, '').trim());
  }, 20);
  const full = await run(['backup', '--type', 'full', '--json']).finally(() => clearInterval(sampler));
  assert.equal(full.code, 0, full.stdout + full.stderr);
  const made = (JSON.parse(full.stdout) as { backup: { label: string; type: string; size: number } }).backup;
  assert.equal(made.type, 'full');
  assert.ok(made.size > 1_000_000, `size ${made.size}`);
  // The objects are s3rver's files (its own suffix on each): the backup's manifest is in the bucket under repo1-path.
  const manifest = path.join(work, 's3', BUCKET, 'repo', 'backup', STANZA, made.label, 'backup.manifest._S3rver_object');
  assert.ok((await fs.stat(manifest)).size > 0);

  const info = await run(['info', '--json']);
  assert.equal(info.code, 0, info.stdout + info.stderr);
  const doc = JSON.parse(info.stdout) as { status: { code: number }; archives: { min?: string; max?: string }[]; backups: { label: string; type: string }[] };
  assert.match(doc.archives[0]?.max ?? '', /^[0-9A-F]{24}$/);
  assert.equal(doc.status.code, 0);
  assert.deepEqual(doc.backups.map((b) => [b.label, b.type]), [[made.label, 'full']]);

  const verify = await run(['verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  // The WAL line is there only because of the listing shim above: without it verify says "archiveId: none found".
  assert.match(verify.stdout, /^Stanza s3it: verify found no problem\n {2}WAL \S+: (\d+) of \1 segments valid/);
  assert.match(verify.stdout, new RegExp(`backup ${made.label}: valid, (\\d+) of \\1 files valid`));

  // What our runner started, read from /proc while the backup ran: the stanza and command, no key.
  assert.ok(seen.some((p) => p.includes(`--stanza=${STANZA}`) && / backup$/.test(p)), seen.join('\n'));
  for (const p of [...seen, full.argv.join(' ')]) assert.ok(!p.includes(SECRET) && !/s3-key/.test(p), p);
  assert.deepEqual(processesWith(`--stanza=${STANZA}`).filter((p) => !p.includes('archive-push')), []);
});
