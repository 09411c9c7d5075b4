// What a recovered server does with its WAL once promoted: the source's archive settings read from the
// copied configuration, and the archive_mode change the preview lists on its own line.
import type { RecoveryChange } from './apply';
import type { RecoveryPlan } from './config';

/** The archive_command the copied configuration sets (postgresql.auto.conf wins, the last line wins). */
export function sourceArchiveCommand(...texts: (string | undefined)[]): string | undefined {
  let found: string | undefined;
  for (const text of texts) {
    for (const line of (text ?? '').split('\n')) {
      const m = /^\s*archive_command\s*=?\s*'((?:[^']|'')*)'/.exec(line);
      if (m?.[1] !== undefined) found = m[1].replace(/''/g, "'");
    }
  }
  return found;
}

/** The port the copied configuration sets, when it sets one (the last line wins). */
export function sourcePort(...texts: (string | undefined)[]): number | undefined {
  let found: number | undefined;
  for (const text of texts) {
    for (const line of (text ?? '').split('\n')) {
      const m = /^\s*port\s*=?\s*'?(\d+)'?/.exec(line);
      if (m?.[1]) found = Number(m[1]);
    }
  }
  return found;
}

/** The archive_mode change as a line of the preview of its own: it decides where the new timeline's WAL goes. */
export function archivingChange(autoConf: string, plan: RecoveryPlan, sourceCommand: string | undefined): RecoveryChange {
  const archiving = plan.archiving ?? { kind: 'off' };
  const source = sourceCommand ? ` (the copied archive_command is ${sourceCommand})` : '';
  return {
    file: autoConf,
    action: 'setting',
    detail:
      archiving.kind === 'off'
        ? `archive_mode = off: once promoted, this server does not archive, so its new timeline is not pushed into the source's archive${source}. To keep archiving, name an archive_command of its own.`
        : `archive_mode = on, archive_command = ${archiving.command.trim()}: once promoted, this server archives its new timeline with this command${source}; it must not write into the source's archive.`,
  };
}
