// WAL file names and LSN arithmetic: what each archive name is, and segment numbers across "log" boundaries and segment sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SEGMENT_SIZE,
  formatLsn,
  historyFileName,
  isValidSegmentSize,
  lsnToSegment,
  parseLsn,
  parseWalFileName,
  segmentName,
  segmentNumber,
  segmentStartLsn,
  segmentsPerLog,
} from '../../src/core/wal/names';

const MiB = 1024 * 1024;

test('parses segment names, compressed and partial', () => {
  assert.deepEqual(parseWalFileName('0000000100000000000000A3'), { kind: 'segment', name: '0000000100000000000000A3', tli: 1, log: 0, seg: 0xa3, partial: false });
  assert.deepEqual(parseWalFileName('000000020000000A000000FF.gz'), {
    kind: 'segment',
    name: '000000020000000A000000FF.gz',
    tli: 2,
    log: 10,
    seg: 255,
    compression: 'gz',
    partial: false,
  });
  for (const c of ['gz', 'zst', 'lz4', 'bz2', 'xz']) assert.equal(parseWalFileName(`000000010000000000000001.${c}`)?.kind, 'segment', c);
  assert.equal((parseWalFileName('000000010000000000000003.partial') as { partial: boolean }).partial, true);
  // pg_receivewal writes `.gz.partial`; an archive_command that compresses everything makes `.partial.gz`.
  assert.deepEqual(parseWalFileName('000000010000000000000003.gz.partial'), {
    kind: 'segment',
    name: '000000010000000000000003.gz.partial',
    tli: 1,
    log: 0,
    seg: 3,
    compression: 'gz',
    partial: true,
  });
  assert.equal((parseWalFileName('000000010000000000000003.partial.zst') as { compression: string }).compression, 'zst');
});

test('parses history and backup history names', () => {
  assert.deepEqual(parseWalFileName('00000002.history'), { kind: 'history', name: '00000002.history', tli: 2 });
  assert.deepEqual(parseWalFileName('0000000A.history.gz'), { kind: 'history', name: '0000000A.history.gz', tli: 10, compression: 'gz' });
  assert.deepEqual(parseWalFileName('00000001000000000000000D.00000028.backup'), {
    kind: 'backup',
    name: '00000001000000000000000D.00000028.backup',
    tli: 1,
    log: 0,
    seg: 13,
    offset: 0x28,
  });
});

test('everything else is not an archive file', () => {
  for (const name of [
    '0000000100000000000000a3', // lower case: restore_command asks for upper case
    '000000010000000000000A3',
    '0000000100000000000000A3.tmp',
    '0000000100000000000000A3.gz.xz',
    '000000000000000000000001', // timeline 0 does not exist
    '00000001.history', // timeline 1 has no parent
    '00000002.history.tmp',
    'archive_status',
    '.DS_Store',
    'README',
    '0000000100000000000000A3.ready',
  ]) {
    assert.equal(parseWalFileName(name), undefined, name);
  }
});

test('segment numbers and names: 256 segments per log at 16 MiB, other sizes too', () => {
  assert.equal(segmentsPerLog(DEFAULT_SEGMENT_SIZE), 256);
  assert.equal(segmentsPerLog(MiB), 4096);
  assert.equal(segmentsPerLog(1024 * MiB), 4);
  assert.equal(segmentName(1, 0xa4, DEFAULT_SEGMENT_SIZE), '0000000100000000000000A4');
  assert.equal(segmentName(1, 256, DEFAULT_SEGMENT_SIZE), '000000010000000100000000');
  assert.equal(segmentName(3, 0x1234 * 256 + 0xfe, DEFAULT_SEGMENT_SIZE), '00000003' + '00001234' + '000000FE');
  assert.equal(segmentName(1, 5, 1024 * MiB), '000000010000000100000001');
  assert.equal(segmentNumber(1, 0, DEFAULT_SEGMENT_SIZE), 256);
  assert.equal(segmentNumber(0, 0x100, DEFAULT_SEGMENT_SIZE), undefined, 'seg FF is the last at 16 MiB');
  assert.equal(segmentNumber(0, 0x100, MiB), 0x100);
  // Round trip across sizes and log boundaries.
  for (const size of [MiB, 16 * MiB, 64 * MiB, 1024 * MiB]) {
    for (const segno of [0, 1, 255, 256, 257, 4095, 4096, 123_456_789]) {
      const p = parseWalFileName(segmentName(7, segno, size));
      assert.ok(p?.kind === 'segment');
      assert.equal(segmentNumber(p.log, p.seg, size), segno, `${segno} at ${size}`);
    }
  }
  assert.equal(historyFileName(2), '00000002.history');
  assert.equal(historyFileName(26), '0000001A.history');
});

test('LSNs: parse, print as PostgreSQL does, and map to segments', () => {
  assert.equal(parseLsn('0/A3000000'), 0xa3000000n);
  assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) | 0xb374d848n);
  assert.equal(parseLsn(' 0/d00100 '), 0xd00100n);
  for (const bad of ['', '0', '0/', '/1', '0/123456789', 'x/1', '0:1']) assert.equal(parseLsn(bad), undefined, bad);
  assert.equal(formatLsn(0xa3000000n), '0/A3000000');
  assert.equal(formatLsn((0x16n << 32n) | 0xb374d848n), '16/B374D848');
  assert.equal(formatLsn(0n), '0/0');
  // Beyond 2^53: still exact.
  assert.equal(formatLsn(parseLsn('FFFFFFFF/FFFFFFFF') as bigint), 'FFFFFFFF/FFFFFFFF');

  assert.equal(lsnToSegment(parseLsn('0/A3000000') as bigint, DEFAULT_SEGMENT_SIZE), 0xa3);
  assert.equal(lsnToSegment(parseLsn('0/A3FFFFFF') as bigint, DEFAULT_SEGMENT_SIZE), 0xa3);
  assert.equal(lsnToSegment(parseLsn('1/0') as bigint, DEFAULT_SEGMENT_SIZE), 256);
  assert.equal(lsnToSegment(parseLsn('0/D00100') as bigint, MiB), 0xd);
  assert.equal(formatLsn(segmentStartLsn(0xa4, DEFAULT_SEGMENT_SIZE)), '0/A4000000');
  assert.equal(formatLsn(segmentStartLsn(257, DEFAULT_SEGMENT_SIZE)), '1/1000000');
  assert.equal(segmentName(1, lsnToSegment(parseLsn('16/B374D848') as bigint, DEFAULT_SEGMENT_SIZE), DEFAULT_SEGMENT_SIZE), '0000000100000016000000B3');
});

test('segment sizes are powers of two from 1 MiB to 1 GiB', () => {
  for (const ok of [MiB, 2 * MiB, 16 * MiB, 1024 * MiB]) assert.equal(isValidSegmentSize(ok), true, String(ok));
  for (const bad of [0, 512 * 1024, 3 * MiB, 2048 * MiB, 16 * MiB + 1, Number.NaN]) assert.equal(isValidSegmentSize(bad), false, String(bad));
});
