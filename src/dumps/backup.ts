// "Back up database…" and "Back up selected tables": the guided pg_dump, with progress and cancel.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, formatBytes, chooseTool, formatWhen, plural } from '../core/platform';
import { listDatabases, listSchemas, listTables, withClient, getServerInfo, type TableInfo, formatQualifiedName } from '../core/postgres';
import { runDump, type DumpResult, takenNameNote, describeDumpProgress, dumpFraction } from '../core/logical';
import type { BackupTarget } from '../commandArgs';
import type { BackupRequest } from '../requests';
import { pickConnection } from '../pickConnection';
import { dumpFolders, nameTemplate } from '../places';
import { percentReporter, withCancellableProgress } from '../progress';
import { askDumpOptions, confirmDumpCommand, OPTIONS_ITEM_DESCRIPTION, OPTIONS_ITEM_LABEL } from './backupOptions';

type Remembered = Pick<BackupRequest, 'format' | 'jobs' | 'compression' | 'schemaOnly' | 'dataOnly' | 'noOwner' | 'noPrivileges' | 'sections'>;

const rememberKey = (profile: string, database: string): string => `pgBackup.lastBackup/${profile}/${database}`;

export async function backupCommand(ctx: Ctx, target: BackupTarget): Promise<DumpResult | undefined> {
  const request = await requestFrom(ctx, target);
  if (!request) return undefined;
  const profile = await ctx.profile(request.profile);
  const conn = await ctx.connection(profile);
  const tools = await ctx.tools();
  const folder = request.folder ?? (await dumpFolders(ctx))[0];
  if (!folder) throw new PgbrError('config', 'No dump folder is configured: set pgBackup.dumpFolders.');
  const template = await nameTemplate(ctx);
  const what = request.tables?.length
    ? `${request.tables.length} table${request.tables.length === 1 ? '' : 's'} of ${request.database}`
    : request.database;

  const started = Date.now();
  const result = await withCancellableProgress(`Backing up ${what}`, async (progress, signal) => {
    const report = percentReporter(progress);
    return runDump({
      ...request,
      connection: { params: conn.params, password: conn.password },
      profile: profile.name,
      output: { folder, ...(request.fileName ? { fileName: request.fileName } : { nameTemplate: template }) },
      tools,
      signal,
      logger: ctx.log,
      // Bytes written move while one large table is dumped; the bar follows the tables' sizes.
      onProgress: (p) => report(describeDumpProgress(p), Math.round(dumpFraction(p) * 1000), 1000),
    });
  });
  await ctx.extension.workspaceState.update(rememberKey(profile.name, request.database), remembered(request));
  const m = result.manifest;
  const rows = m.rowCounts.reduce((sum, t) => sum + t.rows, 0);
  const taken = takenNameNote(result);
  ctx.log.info(`dumped ${what} to ${result.path} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  void vscode.window
    .showInformationMessage(
      `Backed up ${what} ${formatWhen(m.finishedAt, { noAge: true })}: ${formatBytes(m.sizeBytes)}, ${plural(m.rowCounts.length, 'table')}, ${plural(rows, 'row')}, in ${(m.durationMs / 1000).toFixed(1)} s.${taken ? ` ${taken}` : ''}`,
      'Verify',
      'Reveal',
    )
    .then((choice) => {
      if (choice === 'Verify') void vscode.commands.executeCommand('pgBackup.verifyDump', result.path);
      if (choice === 'Reveal') void vscode.commands.executeCommand('pgBackup.revealDump', result.path);
    });
  ctx.dumpsChanged();
  ctx.servers.databasesChanged({ profile: profile.name, database: request.database });
  return result;
}

/** Builds the request: from the target when it is a complete quiet one, else by asking, step by step. */
async function requestFrom(ctx: Ctx, target: BackupTarget): Promise<BackupRequest | undefined> {
  if (target.quiet && target.database !== undefined) {
    const last = ctx.extension.workspaceState.get<Remembered>(rememberKey(target.profile, target.database)) ?? {};
    return { ...last, ...target, database: target.database };
  }
  const profile = await ctx.profile(target.profile);
  let database = target.database;
  const conn = await ctx.connection(profile);
  const params = conn.params;

  if (!database) {
    const databases = await withClient(params, { password: conn.password }, listDatabases);
    const choice = await vscode.window.showQuickPick(
      databases.map((d) => ({ label: d.name, description: d.sizeBytes === null ? '' : formatBytes(d.sizeBytes) })),
      { title: `Back up (1/5): database on ${profile.name}`, ignoreFocusOut: true },
    );
    if (!choice) return undefined;
    database = choice.label;
  }
  const last = ctx.extension.workspaceState.get<Remembered>(rememberKey(profile.name, database)) ?? {};

  // Tables: everything picked by default, or the ones selected in the tree.
  const { tables, schemas, tool } = await withClient(params, { password: conn.password, database }, async (c) => {
    const server = await getServerInfo(c);
    const all: TableInfo[] = [];
    const names = (await listSchemas(c)).map((s) => s.name);
    for (const schema of names) all.push(...(await listTables(c, schema)));
    return { tables: all, schemas: names, tool: chooseTool(await ctx.tools(), 'pg_dump', server.major) };
  });
  const toolMajor = tool.major;
  const preselected = target.tables;
  const tableItems = tables.map((t) => {
    const name = { schema: t.schema, name: t.name };
    return {
      label: formatQualifiedName(name),
      description: `${formatBytes(t.sizeBytes)}${t.estimatedRows === null ? '' : ` · ~${plural(t.estimatedRows, 'row')}`}`,
      picked: preselected ? preselected.some((p) => p.schema === t.schema && p.name === t.name) : true,
      name,
    };
  });
  const chosen = await vscode.window.showQuickPick(tableItems, {
    title: `Back up (2/5): tables of ${database} (all picked = the whole database)`,
    placeHolder: 'Type to filter; Space toggles',
    canPickMany: true,
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  if (!chosen) return undefined;
  if (chosen.length === 0) throw new PgbrError('usage', 'No table was picked: pick at least one, or all for the whole database.');
  const whole = chosen.length === tableItems.length && !preselected;

  const format = await vscode.window.showQuickPick(
    (
      [
        { label: 'custom', description: 'one compressed file; pg_restore can pick tables from it', value: 'custom' },
        { label: 'directory', description: `one file per table; dumps in parallel (${os.availableParallelism()} jobs)`, value: 'directory' },
        { label: 'tar', description: 'a tar archive', value: 'tar' },
        { label: 'plain', description: 'an SQL script for psql', value: 'plain' },
      ] as const
    ).map((f) => ({ ...f, picked: f.value === (last.format ?? 'custom') })),
    { title: 'Back up (3/5): format', placeHolder: `last used: ${last.format ?? 'custom'}`, ignoreFocusOut: true },
  );
  if (!format) return undefined;
  let jobs: number | undefined;
  if (format.value === 'directory') {
    const text = await vscode.window.showInputBox({
      title: 'Parallel jobs',
      value: String(last.jobs ?? os.availableParallelism()),
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 64 ? undefined : 'A number of jobs from 1 to 64.'),
    });
    if (text === undefined) return undefined;
    jobs = Number(text);
  }

  const compressions = [
    { label: 'default', description: 'gzip level 6 (custom, directory); none for tar and plain', value: undefined },
    { label: 'none', value: 'none' },
    { label: 'gzip:1', description: 'fastest', value: 'gzip:1' },
    { label: 'gzip:9', description: 'smallest', value: 'gzip:9' },
    ...(toolMajor >= 16
      ? [
          { label: 'zstd', description: `pg_dump ${toolMajor}`, value: 'zstd' },
          { label: 'lz4', description: `pg_dump ${toolMajor}`, value: 'lz4' },
        ]
      : []),
  ];
  const compression = format.value === 'tar' ? { value: undefined } : await vscode.window.showQuickPick(compressions, {
    title: `Back up (4/5): compression${toolMajor < 16 ? ` (zstd and lz4 need pg_dump 16; this server uses pg_dump ${toolMajor})` : ''}`,
    placeHolder: `last used: ${last.compression ?? 'default'}`,
    ignoreFocusOut: true,
  });
  if (!compression) return undefined;

  const content = await vscode.window.showQuickPick(
    [
      { label: 'Schema and data', value: {} },
      { label: 'Schema only', value: { schemaOnly: true } },
      { label: 'Data only', value: { dataOnly: true } },
      { label: 'No owner', description: 'skip ALTER … OWNER TO', value: { noOwner: true }, option: true },
      { label: 'No privileges', description: 'skip GRANT / REVOKE', value: { noPrivileges: true }, option: true },
      { label: OPTIONS_ITEM_LABEL, description: OPTIONS_ITEM_DESCRIPTION, value: {}, option: true },
    ].map((c) => ({
      ...c,
      picked:
        (c.label === 'No owner' && !!last.noOwner) ||
        (c.label === 'No privileges' && !!last.noPrivileges) ||
        (c.label === 'Schema only' && !!last.schemaOnly) ||
        (c.label === 'Data only' && !!last.dataOnly),
    })),
    { title: 'Back up (5/5): contents and options (pick at most one of schema/data only)', canPickMany: true, ignoreFocusOut: true },
  );
  if (!content) return undefined;
  const options = Object.assign({}, ...content.map((c) => c.value)) as Partial<BackupRequest>;
  if (options.schemaOnly && options.dataOnly) {
    throw new PgbrError('usage', 'Schema only and data only exclude each other: pick one of them, or neither for both.');
  }
  const request: BackupRequest = {
    profile: profile.name,
    database,
    tables: whole ? undefined : chosen.map((c) => c.name),
    format: format.value,
    jobs,
    compression: compression.value,
    ...options,
  };
  if (!content.some((c) => c.label === OPTIONS_ITEM_LABEL)) return request;
  // The Options… path: more choices, then the exact command, before anything runs.
  const extra = await askDumpOptions({ database, chosen: request, tables: tables.map((t) => ({ schema: t.schema, name: t.name })), schemas });
  if (!extra) return undefined;
  const full = { ...request, ...extra };
  // The name the preview showed is the name written: it is not worked out again when the dump starts.
  const fileName = await confirmDumpCommand(ctx, { tool, params, profile: profile.name, database, ...(request.folder ? { folder: request.folder } : {}), options: full });
  return fileName ? { ...full, fileName } : undefined;
}

/** With nothing selected, a backup starts from a connection: the database is asked next. */
export async function pickBackupConnection(ctx: Ctx): Promise<BackupTarget | undefined> {
  const profile = await pickConnection(ctx, { title: 'Back up: connection' });
  return profile === undefined ? undefined : { profile };
}

function remembered(r: BackupRequest): Remembered {
  return {
    format: r.format,
    jobs: r.jobs,
    compression: r.compression,
    schemaOnly: r.schemaOnly,
    dataOnly: r.dataOnly,
    noOwner: r.noOwner,
    noPrivileges: r.noPrivileges,
    sections: r.sections,
  };
}
