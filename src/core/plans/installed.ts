// Whether a plan's schedule is in place: its units in the system or user unit folder (and what systemd says of the timer), or its block in the crontab or /etc/cron.d.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { runTool } from '../platform/runner';
import { beginMarker, cronFileName, withCronBlock } from './cron';
import type { SchedulePlaces, SchedulePreview, Scheduler } from './install';
import { unitNames } from './schedule';
import type { BackrestBackupType } from '../backrest/info';

/** systemd's answer takes milliseconds; one that hangs (a bus that does not answer) must not hold up a view. */
export const STATE_TIMEOUT_MS = 2000;

export interface InstalledSchedule {
  scheduler: Scheduler;
  /** systemd: system or user units; cron: the user's crontab or a file in /etc/cron.d. */
  where: 'system' | 'user' | 'crontab' | 'cron.d';
  /** The timer's file, the crontab program, or the /etc/cron.d file. */
  location: string;
  /** systemd's `is-active` and `is-enabled` words for the timer (active, inactive, failed; enabled, disabled), when it answered. */
  active?: string;
  enabled?: string;
  /** False when what is installed differs from what installing now would write (a changed plan, another pgbr); absent when not compared. */
  current?: boolean;
}

export interface ScheduleState {
  installed: InstalledSchedule[];
  /** What could not be found out, one sentence each (a systemctl that did not answer, an unreadable crontab). */
  problems: string[];
}

export interface StateQuery {
  plan: string;
  /** A pgbackrest plan's backup types: each has its own timer, and any of them may be installed. */
  types?: readonly BackrestBackupType[];
  /** The system places and the user places (`--user`); the same folder twice is looked at once. */
  system: SchedulePlaces;
  user: SchedulePlaces;
  /** What installing would write now, to tell an installed schedule that is out of date. */
  expected?: (scheduler: Scheduler, user: boolean) => SchedulePreview | undefined;
  timeoutMs?: number;
}

const readText = (file: string): Promise<string | undefined> => fs.readFile(file, 'utf8').catch(() => undefined);

/** Looks in every place a schedule can be; reads files and asks systemctl and crontab, each with a short timeout; never throws. */
export async function scheduleState(query: StateQuery): Promise<ScheduleState> {
  const state: ScheduleState = { installed: [], problems: [] };
  const timeoutMs = query.timeoutMs ?? STATE_TIMEOUT_MS;
  const folders = [...new Set([query.system.systemdDir, query.user.systemdDir])];
  const allUnits = query.types ? query.types.map((t) => unitNames({ name: query.plan }, t)) : [unitNames({ name: query.plan })];
  for (const [folder, units] of folders.flatMap((f) => allUnits.map((u) => [f, u] as const))) {
    const timer = await readText(path.join(folder, units.timer));
    if (timer === undefined) continue;
    const service = (await readText(path.join(folder, units.service))) ?? '';
    // System units name the account they run as; user units run as their owner (see systemd.ts).
    const user = !/^User=/m.test(service);
    const places = user ? query.user : query.system;
    const found: InstalledSchedule = { scheduler: 'systemd', where: user ? 'user' : 'system', location: path.join(folder, units.timer) };
    const expected = query.expected?.('systemd', user);
    // The pair of this timer in what installing would write (the only pair, but for a pgbackrest plan's types).
    const pair = expected?.files.filter((f) => [units.service, units.timer].includes(path.basename(f.path)));
    if (pair) found.current = pair.map((f) => f.text).join('\0') === [service, timer].join('\0');
    const systemctl = [...(user ? ['--user'] : [])];
    const [active, enabled] = await Promise.all(
      (['is-active', 'is-enabled'] as const).map((verb) => askSystemctl(places.systemctl, [...systemctl, verb, units.timer], timeoutMs)),
    );
    for (const answer of [active, enabled]) if (answer && 'problem' in answer) state.problems.push(answer.problem);
    if (active && 'word' in active) found.active = active.word;
    if (enabled && 'word' in enabled) found.enabled = enabled.word;
    state.installed.push(found);
  }

  const cronDotD = path.join(query.system.cronDir, cronFileName(query.plan));
  const dotD = await readText(cronDotD);
  if (dotD !== undefined && dotD.includes(beginMarker(query.plan))) {
    const found: InstalledSchedule = { scheduler: 'cron', where: 'cron.d', location: cronDotD };
    const expected = query.expected?.('cron', false)?.files[0];
    if (expected && expected.path === cronDotD) found.current = expected.text === dotD;
    state.installed.push(found);
  }
  const crontab = await readCrontabQuietly(query.user.crontab, timeoutMs);
  if ('problem' in crontab) state.problems.push(crontab.problem);
  else if (crontab.text.split('\n').some((l) => l.trim() === beginMarker(query.plan))) {
    const found: InstalledSchedule = { scheduler: 'cron', where: 'crontab', location: query.user.crontab };
    const block = query.expected?.('cron', true)?.crontabBlock;
    // Putting the block that would be written now in place changes nothing when the installed one is current.
    if (block !== undefined) found.current = safeWithBlock(crontab.text, query.plan, block) === crontab.text;
    state.installed.push(found);
  }
  return state;
}

function safeWithBlock(crontab: string, plan: string, block: string): string | undefined {
  try {
    return withCronBlock(crontab, plan, block);
  } catch {
    return undefined;
  }
}

/** `is-active` and `is-enabled` answer with one word on stdout, exiting non-zero for every answer but active/enabled. */
async function askSystemctl(systemctl: string, args: string[], timeoutMs: number): Promise<{ word: string } | { problem: string } | undefined> {
  const result = await runTool({ file: systemctl, args, collectStdout: true, signal: AbortSignal.timeout(timeoutMs), missingHint: 'systemd is not running here' });
  if (result.status === 'cancelled') return { problem: `${path.basename(systemctl)} ${args.join(' ')} did not answer within ${timeoutMs / 1000} s` };
  const word = result.stdout.trim().split('\n')[0]?.trim();
  if (word) return { word };
  return result.status === 'failed' ? { problem: result.message } : undefined;
}

async function readCrontabQuietly(crontab: string, timeoutMs: number): Promise<{ text: string } | { problem: string }> {
  const result = await runTool({ file: crontab, args: ['-l'], collectStdout: true, signal: AbortSignal.timeout(timeoutMs), missingHint: 'cron is not installed' });
  if (result.status === 'succeeded') return { text: result.stdout };
  if (result.status === 'failed' && result.stderrTail.some((l) => /no crontab for/i.test(l))) return { text: '' };
  // No cron on the machine is not a problem to report: there is simply no crontab schedule.
  if (result.status === 'failed' && result.exitCode === null && result.signal === undefined) return { text: '' };
  return { problem: result.status === 'cancelled' ? `crontab -l did not answer within ${timeoutMs / 1000} s` : `crontab -l failed: ${result.message}` };
}
