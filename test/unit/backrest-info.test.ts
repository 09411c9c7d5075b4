// pgbackrest info --output=json as 2.45 prints it: every field read, the system id exact, the status read from its code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseBackrestInfo, stanzaProblem, usableStanza } from '../../src/core/backrest/info';
import { PgbrError } from '../../src/core/platform/errors';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'backrest', name), 'utf8');

test('the system id is exact: the fixture holds 7714578713163506627, which a plain JSON.parse turns into ...7000', () => {
  const text = fixture('info-four-backups.json');
  assert.notEqual(String(BigInt((JSON.parse(text) as { db: { 'system-id': number }[] }[])[0]?.db[0]?.['system-id'] ?? 0)), '7714578713163506627');
  const [stanza] = parseBackrestInfo(text);
  assert.equal(stanza?.db[0]?.systemId, 7714578713163506627n);
  assert.ok((stanza?.db[0]?.systemId ?? 0n) > 2n ** 53n);
});

test('a stanza with four backups: status, db history, archive range and each backup with its chain, times, WAL, LSN, sizes and annotations', () => {
  const [stanza, ...rest] = parseBackrestInfo(fixture('info-four-backups.json'));
  assert.equal(rest.length, 0);
  assert.ok(stanza);
  assert.equal(stanza.name, 'demo');
  assert.deepEqual(stanza.status, { code: 0, message: 'ok', meaning: 'ok', backupLockHeld: false });
  assert.equal(stanza.cipher, 'none');
  assert.deepEqual(stanza.repos, [{ key: 1, cipher: 'none', status: { code: 0, message: 'ok' } }]);
  assert.deepEqual(stanza.db, [{ id: 1, repoKey: 1, systemId: 7714578713163506627n, version: '15' }]);
  assert.deepEqual(stanza.archives, [{ id: '15-1', dbId: 1, repoKey: 1, min: '000000010000000000000001', max: '000000010000000000000009' }]);
  assert.deepEqual(stanza.backups.map((b) => [b.label, b.type, b.prior, b.references.length]), [
    ['20261202-054530F', 'full', undefined, 0],
    ['20261202-054530F_20261202-054535D', 'diff', '20261202-054530F', 1],
    ['20261202-054530F_20261202-054537I', 'incr', '20261202-054530F_20261202-054535D', 2],
    ['20261202-054530F_20261202-054548I', 'incr', '20261202-054530F_20261202-054537I', 3],
  ]);
  const [full, diff, , last] = stanza.backups;
  assert.deepEqual(full, {
    label: '20261202-054530F',
    type: 'full',
    references: [],
    startTime: new Date(1796190330 * 1000),
    stopTime: new Date(1796190334 * 1000),
    walStart: '000000010000000000000002',
    walStop: '000000010000000000000003',
    lsnStart: '0/2000028',
    lsnStop: '0/3000050',
    size: 22992559,
    delta: 22992559,
    repositorySize: 3043459,
    repositoryDelta: 3043459,
    error: false,
    dbId: 1,
    repoKey: 1,
    backrestVersion: '2.45',
  });
  assert.equal(diff?.delta, 8458);
  assert.equal(diff?.repositoryDelta, 431);
  assert.equal(full.annotations, undefined);
  assert.deepEqual(last?.annotations, { note: 'nightly run', source: 'pgbr' });
  assert.deepEqual(last?.references, ['20261202-054530F', '20261202-054530F_20261202-054535D', '20261202-054530F_20261202-054537I']);
});

test('a missing stanza comes back with code 1 (info exits 0 for it), and the problem says what to do', () => {
  const [stanza] = parseBackrestInfo(fixture('info-missing-stanza.json'));
  assert.ok(stanza);
  assert.deepEqual(stanza.status, { code: 1, message: 'missing stanza path', meaning: 'missing-stanza-path', backupLockHeld: false });
  assert.deepEqual([stanza.db, stanza.archives, stanza.backups], [[], [], []]);
  assert.match(stanzaProblem(stanza, '/etc/pgbackrest/pgbackrest.conf') ?? '', /^stanza "demo" does not exist in the repository \(missing stanza path\): check the stanza name and repo1-path in \/etc\/pgbackrest\/pgbackrest.conf, or create it with pgbackrest stanza-create\.$/);
});

test('right after stanza-create: code 2, the system id already known, an archive without min or max', () => {
  const [stanza] = parseBackrestInfo(fixture('info-no-backup.json'));
  assert.equal(stanza?.status.meaning, 'no-valid-backups');
  assert.equal(stanza?.db[0]?.systemId, 7714578713163506627n);
  assert.deepEqual(stanza?.archives, [{ id: '15-1', dbId: 1, repoKey: 1 }]);
  assert.match(stanzaProblem(stanza) ?? '', /no valid backup yet .*pgbr backrest backup --type full/);
  assert.equal(stanzaProblem(parseBackrestInfo(fixture('info-four-backups.json'))[0]!), undefined);
});

test('fields pgBackRest leaves out are left out, and a held lock and an error flag are read', () => {
  const [stanza] = parseBackrestInfo(
    JSON.stringify([
      {
        name: 'main', cipher: 'aes-256-cbc', status: { code: 0, message: 'ok', lock: { backup: { held: true } } }, db: [], archive: [], repo: [],
        backup: [{ label: '20260101-000000F', type: 'full', prior: null, reference: null, timestamp: { start: 1, stop: 2 }, archive: { start: null, stop: null }, info: { size: 10, delta: 10, repository: { delta: 5 } }, error: true, database: { id: 1, 'repo-key': 1 }, backrest: { format: 5, version: '2.45' } }],
      },
    ]),
  );
  assert.equal(stanza?.status.backupLockHeld, true);
  const b = stanza?.backups[0];
  assert.equal(b?.error, true);
  assert.equal(b?.repositorySize, undefined);
  assert.equal(b?.walStart, undefined);
  assert.equal(b?.lsnStart, undefined);
});

test('a status code this version does not know is kept, and unexpected JSON is refused with where it went wrong', () => {
  const [stanza] = parseBackrestInfo('[{"name":"x","cipher":"none","status":{"code":7,"message":"new"},"db":[],"archive":[],"backup":[],"repo":[]}]');
  assert.equal(stanza?.status.meaning, 'unknown');
  assert.match(stanzaProblem(stanza) ?? '', /status 7 \(new\)/);
  assert.throws(() => parseBackrestInfo('[{"name":"x","cipher":"none","status":{"code":"0","message":"ok"}}]'), (e: unknown) => e instanceof PgbrError && /info\[0\]\.status: expected a whole number/.test(e.message));
  assert.throws(() => parseBackrestInfo('[{"name":"x","cipher":"none","status":{"code":0,"message":"ok"},"backup":[{"type":"partial"}]}]'), /backup\[0\]\.type: "partial" is not full, diff or incr/);
  assert.throws(() => parseBackrestInfo('ERROR: [055]: unable to load info file'), (e: unknown) => e instanceof PgbrError && /did not print valid JSON/.test(e.message));
});

test('usableStanza finds the stanza by name or says to check --stanza', () => {
  const stanzas = parseBackrestInfo(fixture('info-four-backups.json'));
  assert.equal(usableStanza(stanzas, 'demo').name, 'demo');
  assert.throws(() => usableStanza(stanzas, 'main'), /listed no stanza "main": check --stanza and the \[main\] section/);
});
