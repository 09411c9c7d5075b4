// The WAL Archive view's pgBackRest commands on a stanza: Check, Backup… (full, diff or incr, with
// progress and Cancel), Expire… (our keep rules previewed, then confirmed, then `expire --set` per
// backup) and Verify. Each runs pgbackrest, so an untrusted folder is refused.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { backrestBackup, backrestCheck, backrestInfo, backrestVerify, expireSets, previewExpire, type BackrestBackupType } from '../core/backrest';
import { formatBytes, formatDuration, formatWhen, PgbrError } from '../core/platform';
import { machineZone } from '../core/plans';
import { TRUST_HINT } from '../core/profiles';
import { percentReporter, withCancellableProgress } from '../progress';
import { KEEP_EXAMPLE, parseKeepText } from './keepText';
import type { WalArchiveProvider } from './tree';

type Stanza = { stanza: string; config?: string };

const seconds = (ms: number) => formatDuration(Math.max(1, Math.round(ms / 1000)));

export function backrestCommands(ctx: Ctx, tree: WalArchiveProvider) {
  const refuseUntrusted = (what: string): void => {
    if (!ctx.trusted) throw new PgbrError('usage', `${what} runs pgbackrest, and this folder is not trusted: ${TRUST_HINT}.`);
  };
  const pick = async (): Promise<Stanza | undefined> => {
    const repositories = (await ctx.profiles()).config?.repositories ?? [];
    if (repositories.length === 0) throw new PgbrError('config', 'pgbackup.yaml lists no pgBackRest repositories: add one under repositories:, like { kind: pgbackrest, stanza: main }.');
    if (repositories.length === 1) return repositories[0];
    const chosen = await vscode.window.showQuickPick(
      repositories.map((r) => ({ label: r.stanza, description: [r.connection, r.config].filter(Boolean).join(' · '), repository: r })),
      { title: 'Which pgBackRest stanza?' },
    );
    return chosen?.repository;
  };
  const logger = ctx.log;

  return {
    'pgBackup.backrestCheck': {
      pick,
      run: async (target) => {
        refuseUntrusted('Check');
        const result = await withCancellableProgress(`Checking stanza ${target.stanza}`, (progress, signal) =>
          backrestCheck(target, {
            signal,
            logger,
            onProgress: (p) => progress.report({ message: p.phase === 'configuration' ? `the configuration of ${p.repo}` : `switching WAL and waiting for the segment to reach ${p.repo}` }),
          }),
        );
        const archived = result.archived.map((a) => `${a.segment} reached ${a.repo}`).join(', ');
        void vscode.window.showInformationMessage(`Stanza ${target.stanza} passed pgbackrest check in ${seconds(result.durationMs)}${archived ? `: ${archived}` : ''}.`);
        return result;
      },
    },

    'pgBackup.backrestBackup': {
      pick,
      run: async (target, given) => {
        refuseUntrusted('Backup');
        const type = given.type ?? (await pickType(target));
        if (!type) return undefined;
        const result = await withCancellableProgress(`pgBackRest ${type} backup of stanza ${target.stanza}`, (progress, signal) => {
          const percent = percentReporter(progress);
          const words = { starting: 'starting (a checkpoint first)', stopping: 'stopping the backup', archiving: 'waiting for the last WAL to be archived', expiring: "applying pgBackRest's own retention" } as const;
          return backrestBackup(target, type, {
            signal,
            logger,
            onProgress: (p) => (p.phase === 'copying' ? percent(`copying ${(p.percent ?? 0).toFixed(0)}%`, p.percent ?? 0, 100) : progress.report({ message: words[p.phase] })),
          });
        });
        tree.refresh();
        const b = result.backup;
        void vscode.window.showInformationMessage(`Backup ${b.label} of stanza ${target.stanza}: ${b.type}, ${formatBytes(b.size)} (${formatBytes(b.repositoryDelta)} in the repository), in ${seconds(result.durationMs)}.`);
        return result;
      },
    },

    'pgBackup.backrestExpire': {
      pick,
      run: async (target, given) => {
        refuseUntrusted('Expire');
        const text = given.keep ?? (await vscode.window.showInputBox({ title: `Expire backups of stanza ${target.stanza}: which to keep?`, prompt: `keep rules, as a plan's keep: takes them (also hourly, yearly, within 2d)`, value: KEEP_EXAMPLE, ignoreFocusOut: true, validateInput: (v) => check(v) }));
        if (text === undefined) return undefined;
        const rules = parseKeepText(text);
        const timeZone = machineZone();
        const info = await backrestInfo(target, { logger });
        const preview = previewExpire(info.backups, rules, timeZone);
        if (preview.expire.length === 0) {
          void vscode.window.showInformationMessage(`Stanza ${target.stanza}: the rules keep all ${preview.keep.length} backups; nothing to expire.`);
          return { expired: [], preview };
        }
        if (!given.confirm) {
          const lines = [
            ...preview.expire.map((b) => `expire  ${b.label}  ${b.type}  ${formatWhen(b.startTime, { noAge: true })}`),
            ...preview.keep.map((k) => `keep    ${k.backup.label}  ${k.backup.type}  ${k.reasons.join(', ')}`),
          ];
          const button = `Expire ${preview.expire.length}`;
          const answer = await vscode.window.showWarningMessage(
            `Expire ${preview.expire.length} of ${preview.keep.length + preview.expire.length} backups of stanza ${target.stanza}? pgbackrest expire --set removes each with the WAL only it needed; this cannot be undone.`,
            { modal: true, detail: lines.join('\n') },
            button,
          );
          if (answer !== button) return undefined;
        }
        const expired = await withCancellableProgress(`Expiring backups of stanza ${target.stanza}`, (progress, signal) =>
          expireSets(target, preview, { signal, logger, onExpired: (set) => progress.report({ message: `expired ${set.label}`, increment: 100 / preview.expire.length }) }),
        );
        tree.refresh();
        void vscode.window.showInformationMessage(`Stanza ${target.stanza}: expired ${expired.map((e) => e.label).join(', ')}; ${preview.keep.length} kept.`);
        return { expired: expired.map((e) => e.label), preview };
      },
    },

    'pgBackup.backrestVerify': {
      pick,
      run: async (target) => {
        refuseUntrusted('Verify');
        const report = await withCancellableProgress(`Verifying stanza ${target.stanza} (every file against its checksum)`, (_p, signal) => backrestVerify(target, { signal, logger }));
        if (report.status === 'ok') {
          const files = report.backups.length;
          void vscode.window.showInformationMessage(`Stanza ${target.stanza} verified: ${files} backup${files === 1 ? '' : 's'} and ${report.archives.length} WAL archive${report.archives.length === 1 ? '' : 's'}, no file missing or damaged.`);
        } else {
          void vscode.window.showErrorMessage(`Stanza ${target.stanza} failed verification: ${report.problems.join(' ')}`);
        }
        return report;
      },
    },
  } satisfies Partial<CommandTable>;
}

function check(text: string): string | undefined {
  try {
    parseKeepText(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function pickType(target: Stanza): Promise<BackrestBackupType | undefined> {
  const items: (vscode.QuickPickItem & { type: BackrestBackupType })[] = [
    { label: 'full', description: 'every file', type: 'full' },
    { label: 'diff', description: 'what changed since the last full backup', type: 'diff' },
    { label: 'incr', description: 'what changed since the last backup of any type', type: 'incr' },
  ];
  const chosen = await vscode.window.showQuickPick(items, { title: `Back up stanza ${target.stanza} with pgBackRest: which type?`, placeHolder: 'without a full backup, pgBackRest takes a full one whatever is chosen' });
  return chosen?.type;
}
