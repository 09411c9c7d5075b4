// "Verify (test restore)": restore into a scratch database, compare exact counts, record and show the verdict.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { errorMessage, writeFileAtomic, printable, formatStamp, lastPathPart } from '../core/platform';
import { readManifest, leftOutForeignKeyLine, verifyDump, type VerifyReport, verifyReportPathFor } from '../core/logical';
import type { ExtraValues } from '../commandArgs';
import { withCancellableProgress } from '../progress';
import { VerifyReportProvider } from './verifyReport';

export async function verifyCommand(ctx: Ctx, reports: VerifyReportProvider, dumpPath: string, requested: ExtraValues['verify']): Promise<VerifyReport | undefined> {
  const manifest = await readManifest(dumpPath).catch(() => undefined);
  const profiles = (await ctx.profiles()).profiles;
  let name = requested.profile ?? (manifest && profiles.some((p) => p.name === manifest.profile) ? manifest.profile : undefined);
  if (!name) {
    name = await vscode.window.showQuickPick(profiles.map((p) => p.name), {
      title: 'Verify: restore into a scratch database on which connection?',
      ignoreFocusOut: true,
    });
    if (!name) return undefined;
  }
  const profile = await ctx.profile(name);
  const conn = await ctx.connection(profile);
  const report = await withCancellableProgress(`Verifying ${lastPathPart(dumpPath)} on ${name}`, async (progress, signal) =>
    verifyDump({
      dumpPath,
      connection: conn.params,
      password: conn.password,
      inventory: await ctx.tools(),
      decryption: await ctx.identity.decryption(),
      profileName: name,
      logger: ctx.log,
      signal,
      onProgress: (p) => progress.report({ message: `restoring ${p.done}${p.total ? ` of ${p.total}` : ''}: ${p.item}` }),
    }),
  );
  ctx.log.info(`verify ${dumpPath}: ${report.status} — ${report.message}`);
  ctx.dumpsChanged();
  // Asked for, so not news: the log has the line, and the last real report beside the dump stays as it was.
  if (report.status === 'cancelled') return report;
  // Beside the dump, so the evidence stays with it; shown from there, read-only.
  const reportFile = verifyReportPathFor(dumpPath);
  let saved = true;
  try {
    await writeFileAtomic(reportFile, renderReport(report));
    reports.reportWritten(dumpPath);
  } catch (e) {
    saved = false;
    ctx.log.warn(`the verify report could not be saved to ${reportFile}: ${errorMessage(e)}`);
  }
  if (requested.show !== false) {
    const doc = saved
      ? await vscode.workspace.openTextDocument(VerifyReportProvider.uriFor(dumpPath))
      : await vscode.workspace.openTextDocument({ content: renderReport(report), language: 'markdown' });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
  const where = saved ? ` The report is saved as ${lastPathPart(reportFile)}.` : '';
  if (report.status === 'passed') void vscode.window.showInformationMessage(printable(`Verified ${lastPathPart(dumpPath)}: ${report.message}${where}`));
  else void vscode.window.showErrorMessage(printable(`Verification of ${lastPathPart(dumpPath)} ${report.status.toUpperCase()}: ${report.message}${where}`));
  return report;
}

function renderReport(r: VerifyReport): string {
  const lines = [
    `# Verification ${r.status === 'passed' ? 'passed' : r.status === 'cancelled' || r.status === 'interrupted' ? r.status : 'FAILED'}: ${lastPathPart(r.dumpPath)}`,
    '',
    printable(r.message),
    '',
    r.checksum === 'damaged' ? '- **the checksums do not match the manifest**: nothing was restored' : r.checksum === 'intact' ? '- every file matches the sha256 its manifest recorded' : '- no manifest: the checksums could not be checked',
    `- restored into scratch database \`${r.scratchDatabase}\` on ${r.target} (${r.scratchDropped ? 'dropped afterwards' : '**not dropped: drop it by hand**'})`,
    `- finished ${formatStamp(r.at)}, took ${(r.durationMs / 1000).toFixed(1)} s${r.restore ? `, restore ${(r.restore.durationMs / 1000).toFixed(1)} s (the RTO evidence for this dump)` : ''}`,
    `- ${r.manifestFound ? 'expected counts from the manifest, taken in the dump\'s snapshot' : 'no manifest: there are no expected counts to compare with'}`,
    r.recorded ? '- the verdict is recorded in the manifest' : '- the verdict could not be recorded (no manifest)',
    '',
    '| table | expected | actual | |',
    '| --- | ---: | ---: | --- |',
    ...r.tables.map(
      (t) =>
        `| ${printable(`${t.schema}.${t.table}`)} | ${t.expected ?? '–'} | ${t.actual ?? 'missing'} | ${t.ok ? 'ok' : '**differs**'} |`,
    ),
  ];
  if (r.foreignKeysLeftOut.length > 0) lines.push('', '## Left out of the test restore', '', ...r.foreignKeysLeftOut.map((k) => `- ${printable(leftOutForeignKeyLine(k))}`));
  if (r.restore && r.restore.errors.length > 0) lines.push('', '## First restore errors', '', ...r.restore.errors.map((e) => `- ${printable(e)}`));
  return lines.join('\n') + '\n';
}
