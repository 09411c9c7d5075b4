// `pgbackrest verify --output=text --verbose` read into a verdict: 2.45 has no JSON for it and exits 0 even when it finds damage, so its text is the only answer.
import { PgbrError } from '../platform/errors';

export interface VerifyFileErrors {
  missing: number;
  checksumInvalid: number;
  sizeInvalid: number;
  other: number;
}

export interface VerifiedArchive {
  archiveId: string;
  walChecked: number;
  walValid: number;
  errors: VerifyFileErrors;
}

export interface VerifiedBackup {
  label: string;
  /** `valid`, `invalid`, `manifest missing` or `in-progress` (skipped), as verify.c names them. */
  status: string;
  filesChecked: number;
  filesValid: number;
  errors: VerifyFileErrors;
}

export interface VerifyReport {
  stanza: string;
  status: 'ok' | 'error';
  archives: VerifiedArchive[];
  backups: VerifiedBackup[];
  /** Lines verify printed that are not counts: `No usable backup.info file`, an error it met. */
  notes: string[];
  /** Each problem in one sentence, for people; empty when status is ok. */
  problems: string[];
}

const NO_ERRORS: VerifyFileErrors = { missing: 0, checksumInvalid: 0, sizeInvalid: 0, other: 0 };

/** `missing: 0, checksum invalid: 0, size invalid: 0, other: 1` (without --verbose only the non-zero ones). */
function readErrors(line: string): VerifyFileErrors | undefined {
  const parts = [...line.matchAll(/(missing|checksum invalid|size invalid|other): (\d+)/g)];
  if (parts.length === 0 || line.replace(/(missing|checksum invalid|size invalid|other): \d+,?\s*/g, '').trim() !== '') return undefined;
  const errors = { ...NO_ERRORS };
  for (const [, name, n] of parts) {
    const count = Number(n);
    if (name === 'missing') errors.missing = count;
    else if (name === 'checksum invalid') errors.checksumInvalid = count;
    else if (name === 'size invalid') errors.sizeInvalid = count;
    else errors.other = count;
  }
  return errors;
}

function describeErrors(e: VerifyFileErrors): string {
  const parts = [
    e.missing ? `${e.missing} missing` : '',
    e.checksumInvalid ? `${e.checksumInvalid} with a wrong checksum` : '',
    e.sizeInvalid ? `${e.sizeInvalid} of the wrong size` : '',
    e.other ? `${e.other} unreadable` : '',
  ].filter(Boolean);
  return parts.join(', ');
}

/** The report, or an error when the text is not verify's (empty output means it ran without --output=text --verbose). */
export function parseVerifyOutput(text: string): VerifyReport {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const stanza = /^stanza: (.+)$/.exec(lines[0] ?? '')?.[1];
  const status = /^status: (ok|error)$/.exec(lines[1] ?? '')?.[1] as 'ok' | 'error' | undefined;
  if (stanza === undefined || status === undefined) {
    throw new PgbrError('tool-failed', `pgbackrest verify printed no "stanza:" and "status:" lines${lines.length ? ` (it printed "${lines[0]}")` : ''}: run pgbackrest verify --output=text --verbose by hand to see what it says.`);
  }
  const report: VerifyReport = { stanza, status, archives: [], backups: [], notes: [], problems: [] };
  let last: { errors: VerifyFileErrors } | undefined;
  for (const line of lines.slice(2)) {
    const trimmed = line.trim();
    let m: RegExpExecArray | null;
    if ((m = /^archiveId: (\S+), total WAL checked: (\d+), total valid WAL: (\d+)$/.exec(trimmed))) {
      const archive: VerifiedArchive = { archiveId: m[1] ?? '', walChecked: Number(m[2]), walValid: Number(m[3]), errors: { ...NO_ERRORS } };
      report.archives.push(archive);
      last = archive;
    } else if ((m = /^backup: (\S+), status: (.+?), total files checked: (\d+), total valid files: (\d+)$/.exec(trimmed))) {
      const backup: VerifiedBackup = { label: m[1] ?? '', status: m[2] ?? '', filesChecked: Number(m[3]), filesValid: Number(m[4]), errors: { ...NO_ERRORS } };
      report.backups.push(backup);
      last = backup;
    } else {
      const errors = readErrors(trimmed);
      if (errors && last) last.errors = errors;
      else {
        report.notes.push(trimmed);
        last = undefined;
      }
    }
  }
  for (const a of report.archives) {
    if (a.walValid < a.walChecked) report.problems.push(`WAL in archive ${a.archiveId}: ${a.walChecked - a.walValid} of ${a.walChecked} segments are damaged (${describeErrors(a.errors) || 'no detail'}).`);
  }
  for (const b of report.backups) {
    if (b.status !== 'valid' && b.status !== 'in-progress') report.problems.push(`backup ${b.label} is ${b.status}: ${b.filesChecked - b.filesValid} of ${b.filesChecked} files are damaged (${describeErrors(b.errors) || 'no detail'}).`);
  }
  // verify says error for things that are neither (no backup.info, a failed job): its own words are the problem then.
  if (status === 'error' && report.problems.length === 0) report.problems.push(...(report.notes.length ? report.notes : ['pgbackrest verify reported an error without details: see its log.']));
  return report;
}
