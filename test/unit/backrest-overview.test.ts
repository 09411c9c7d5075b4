// A stanza as the WAL Archive view shows it: chains by prior, problems, and the posix archive read from pgBackRest's own layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseBackrestInfo, type BackrestStanzaInfo } from '../../src/core/backrest/info';
import { backupChains, repositoryProblems } from '../../src/core/backrest/overview';
import { scanBackrestArchive } from '../../src/core/backrest/archiveScan';
import { parseKeepText } from '../../src/archive/keepText';

const fixture = (name: string): BackrestStanzaInfo => parseBackrestInfo(readFileSync(path.join(__dirname, '..', 'fixtures', 'backrest', name), 'utf8'))[0] as BackrestStanzaInfo;
const SHA = 'a'.repeat(40);

test('chains follow prior: the full holds its diff, the diff its incr, each incr the next', () => {
  const chains = backupChains(fixture('info-four-backups.json').backups);
  assert.equal(chains.length, 1);
  const full = chains[0];
  assert.equal(full?.backup.type, 'full');
  const diff = full?.dependents[0];
  assert.equal(diff?.backup.type, 'diff');
  const incr = diff?.dependents[0];
  assert.equal(incr?.backup.label, '20261202-054530F_20261202-054537I');
  assert.equal(incr?.dependents[0]?.backup.label, '20261202-054530F_20261202-054548I');
  // An incr whose prior was expired stands as a root of its own.
  const orphan = backupChains(fixture('info-four-backups.json').backups.slice(2));
  assert.deepEqual(orphan.map((c) => c.backup.label), ['20261202-054530F_20261202-054537I']);
});

test('problems: a stanza that is missing, a backup with checksum errors, WAL older than the RPO', () => {
  assert.match(repositoryProblems(fixture('info-missing-stanza.json'), {})[0]?.message ?? '', /does not exist in the repository/);
  const info = fixture('info-four-backups.json');
  const damaged = { ...info, backups: info.backups.map((b, i) => (i === 1 ? { ...b, error: true } : b)) };
  const now = new Date('2026-12-02T12:00:00Z');
  const problems = repositoryProblems(damaged, { listing: { timelines: [1], maxTime: new Date('2026-12-02T11:00:00Z') }, rpoSeconds: 900, now });
  assert.deepEqual(problems.map((p) => p.severity), ['warning', 'error']);
  assert.match(problems[0]?.message ?? '', /^backup 20261202-054530F_20261202-054535D has files with page checksum errors/);
  assert.match(problems[1]?.message ?? '', /arrived 1 h ago, longer than the RPO of 15 min/);
  assert.deepEqual(repositoryProblems(info, { listing: { timelines: [1], maxTime: new Date('2026-12-02T11:55:00Z') }, rpoSeconds: 900, now }), []);
});

test("the posix archive is read from pgBackRest's layout, and a segment missing between min and max is a gap", async () => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'pgbr-brscan-'));
  try {
    const info = fixture('info-four-backups.json');
    const dir = path.join(repo, 'archive', info.name, '15-1', '0000000100000000');
    mkdirSync(dir, { recursive: true });
    for (let seg = 1; seg <= 9; seg++) {
      if (seg === 8) continue; // lost
      const file = path.join(dir, `00000001000000000000000${seg}-${SHA}.gz`);
      writeFileSync(file, 'x');
      utimesSync(file, new Date('2026-12-02T05:45:00Z'), new Date('2026-12-02T05:45:00Z'));
    }
    writeFileSync(path.join(dir, `000000010000000000000003.00000028.backup`), 'not a segment');
    const scans = await scanBackrestArchive(repo, info);
    {
      assert.equal(scans.length, 1);
      const scan = scans[0];
      assert.equal(scan?.segments, 8);
      assert.deepEqual(scan?.timelines.map((t) => t.runs.map((r) => `${r.first}-${r.last}`)), [['000000010000000000000001-000000010000000000000007', '000000010000000000000009-000000010000000000000009']]);
      const gap = scan?.problems.find((p) => p.kind === 'gap');
      assert.match(gap?.message ?? '', /000000010000000000000008/);
      assert.equal(gap?.severity, 'error', 'the newest backup needs the WAL after it');
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('an archive folder that cannot be read is one warning, not a failure', async () => {
  const scans = await scanBackrestArchive(path.join(os.tmpdir(), 'pgbr-no-such-repo'), fixture('info-four-backups.json'));
  assert.equal(scans[0]?.problems[0]?.kind, 'unreadable');
  assert.equal(scans[0]?.problems[0]?.severity, 'warning');
});

test('keep rules typed in the editor read as a plan writes them; nonsense is refused with an example', () => {
  assert.deepEqual(parseKeepText('last 2, daily 7; weekly: 4, within 2d'), { last: 2, daily: 7, weekly: 4, within: { text: '2d', seconds: 172800 } });
  assert.throws(() => parseKeepText('daily seven'), /"daily seven" is not a keep rule: write rules like last 2, daily 7/);
  assert.throws(() => parseKeepText(''), /at least one keep rule/);
  assert.throws(() => parseKeepText('daily 0'), /at least one keep rule/);
  assert.throws(() => parseKeepText('within soon'), /within takes a number/);
});
