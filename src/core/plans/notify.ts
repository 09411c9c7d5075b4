// Telling someone how a plan's run went: a webhook POST and/or a program fed the same JSON on stdin.
// Never throws into the run and never changes its result: what happened comes back to be journaled.

import { runTool } from '../platform/runner';
import type { Logger } from '../platform/log';
import { TRUST_HINT } from '../profiles/trust';
import type { JournalRecord } from './journal';

/** `notify:` of a plan. */
export interface NotifySettings {
  /** `failure` (the default): only failed runs are told; `always`: every run. */
  on?: 'failure' | 'always';
  webhook?: string;
  /** A program and its arguments, run without a shell. */
  command?: { program: string; args?: readonly string[] };
}

/** What is sent: the run's record without the journal's own bookkeeping. */
export interface NotificationDocument {
  plan: string;
  runId: string;
  outcome: JournalRecord['outcome'];
  host: string;
  startedAt: string;
  endedAt: string;
  backup?: JournalRecord['backup'];
  verification?: JournalRecord['verification'];
  retention?: { kept: number; removed: number; errors: string[] };
  error?: string;
}

export interface ChannelResult {
  ok: boolean;
  /** Webhook: 1, or 2 when the first attempt failed. */
  attempts: number;
  seconds: number;
  /** Why it failed, with no secret in it (a webhook is named by its origin only). */
  error?: string;
}

export interface NotifyResult {
  /** Why nothing was sent, when nothing was. */
  skipped?: 'not configured' | 'not due' | 'untrusted';
  webhook?: ChannelResult;
  command?: ChannelResult;
  /** Something went wrong outside both channels (a bug): said here rather than thrown into the run. */
  failed?: string;
}

export interface NotifyOptions {
  /** Whether the workspace is trusted; in one that is not, nothing pgbackup.yaml names is used. */
  trusted: boolean;
  logger?: Logger;
  /** Per webhook attempt and for the command (default 10 s). */
  timeoutMs?: number;
  /** Before the webhook's one retry (default 1 s). */
  retryDelayMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY_DELAY_MS = 1000;

export function notificationDocument(record: JournalRecord): NotificationDocument {
  const doc: NotificationDocument = {
    plan: record.plan,
    runId: record.runId,
    outcome: record.outcome,
    host: record.host,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
  };
  if (record.backup) doc.backup = record.backup;
  if (record.verification) doc.verification = record.verification;
  if (record.retention) doc.retention = { kept: record.retention.kept, removed: record.retention.removed.length, errors: record.retention.errors };
  if (record.error) doc.error = record.error.message;
  return doc;
}

const configured = (settings: NotifySettings | undefined): settings is NotifySettings =>
  settings !== undefined && (settings.webhook !== undefined || settings.command !== undefined);

/** Whether this run is to be told at all. */
export function notificationDue(settings: NotifySettings | undefined, outcome: JournalRecord['outcome']): boolean {
  return configured(settings) && ((settings.on ?? 'failure') === 'always' || outcome === 'failed');
}

const elapsedSeconds = (started: number): number => Math.round(performance.now() - started) / 1000;
/** fetch says only "fetch failed"; what went wrong (ENOTFOUND, ECONNREFUSED, a certificate) is its cause. */
const errorText = (e: unknown): string => {
  if (e instanceof Error && e.cause instanceof Error) return e.cause.message;
  return e instanceof Error ? e.message : String(e);
};

/** A 2xx is delivered; a 4xx other than 408 and 429 will not be different a second time. */
const worthRetrying = (status: number): boolean => status >= 500 || status === 408 || status === 429;

async function postWebhook(url: string, body: string, opts: NotifyOptions): Promise<ChannelResult> {
  const started = performance.now();
  let target: URL;
  try {
    target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return { ok: false, attempts: 0, seconds: 0, error: 'notify.webhook is not an http:// or https:// URL: correct it in pgbackup.yaml' };
  }
  // The path, query or user part may hold a token: only the origin is ever written anywhere.
  const origin = target.origin;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const scrub = (text: string): string => text.split(url).join(origin).split(target.href).join(origin);
  let error = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    if (attempt === 2) await new Promise((r) => setTimeout(r, opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS));
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'pgbr' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      // Read (and drop) the body so the connection is not left half-read.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        opts.logger?.info(`notify: webhook ${origin} answered ${response.status}`);
        return { ok: true, attempts: attempt, seconds: elapsedSeconds(started) };
      }
      error = `webhook ${origin} answered ${response.status} ${response.statusText}`.trim();
      if (!worthRetrying(response.status)) return { ok: false, attempts: attempt, seconds: elapsedSeconds(started), error };
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      error = timedOut ? `webhook ${origin} did not answer within ${timeoutMs / 1000} s` : scrub(`webhook ${origin} could not be reached (${errorText(e)}): check notify.webhook and this machine's network`);
    }
    opts.logger?.warn(`notify: ${error}${attempt === 1 ? '; trying once more' : ''}`);
  }
  return { ok: false, attempts: 2, seconds: elapsedSeconds(started), error };
}

async function runCommand(command: NonNullable<NotifySettings['command']>, body: string, opts: NotifyOptions): Promise<ChannelResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // No logger for the runner: it would log the arguments, and a user's arguments may hold a token.
  const result = await runTool({
    file: command.program,
    args: command.args ?? [],
    stdin: body,
    signal: AbortSignal.timeout(timeoutMs),
    forceKillAfterMs: 2000,
    label: 'notify.command',
  });
  const seconds = result.durationMs / 1000;
  let error: string | undefined;
  if (result.status === 'cancelled') error = `notify.command ${command.program} did not finish within ${timeoutMs / 1000} s and was stopped`;
  else if (result.status === 'failed' && result.exitCode === null && result.signal === undefined) {
    // The runner's own wording is about PostgreSQL's tools; this is the user's program.
    error = `notify.command ${command.program} could not be started: check the program named in pgbackup.yaml (an absolute path, executable)`;
  } else if (result.status === 'failed') error = `notify.command failed: ${result.message}`;
  if (error === undefined) opts.logger?.info(`notify: ${command.program} finished`);
  else opts.logger?.warn(`notify: ${error}`);
  return { ok: error === undefined, attempts: 1, seconds, ...(error !== undefined ? { error } : {}) };
}

/** Sends what the plan's `notify:` asks for about this run; both channels go out at once. */
export async function notifyRun(settings: NotifySettings | undefined, record: JournalRecord, opts: NotifyOptions): Promise<NotifyResult> {
  try {
    if (!configured(settings)) return { skipped: 'not configured' };
    if (!notificationDue(settings, record.outcome)) return { skipped: 'not due' };
    if (!opts.trusted) {
      opts.logger?.warn(`notify: plan ${record.plan} was not notified because this folder is not trusted: ${TRUST_HINT}.`);
      return { skipped: 'untrusted' };
    }
    const body = JSON.stringify(notificationDocument(record));
    const [webhook, command] = await Promise.all([
      settings.webhook !== undefined ? postWebhook(settings.webhook, body, opts) : undefined,
      settings.command !== undefined ? runCommand(settings.command, body, opts) : undefined,
    ]);
    return { ...(webhook ? { webhook } : {}), ...(command ? { command } : {}) };
  } catch (e) {
    // Nothing above should throw; if it does, the run's result still stands and the journal says why.
    const error = `notification failed: ${errorText(e)}`;
    opts.logger?.warn(`notify: ${error}`);
    return { failed: error };
  }
}

/** The journal's `notified`: absent when nothing was due, else whether every channel got through. */
export function notifiedField(result: NotifyResult): JournalRecord['notified'] {
  if (result.skipped === 'not configured' || result.skipped === 'not due') return undefined;
  if (result.skipped === 'untrusted') return { ok: false, error: 'not sent: the folder is not trusted' };
  const errors = [result.webhook, result.command].flatMap((c) => (c && !c.ok && c.error ? [c.error] : []));
  if (result.failed !== undefined) errors.push(result.failed);
  return errors.length === 0 ? { ok: true } : { ok: false, error: errors.join('; ') };
}
