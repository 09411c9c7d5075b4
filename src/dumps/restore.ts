// "Restore…" a whole dump and "Restore table(s)…" from inside a dump: target, safety questions, progress.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, errorMessage, printable, formatWhen, lastPathPart } from '../core/platform';
import { runRestore, type RestoreOptions, type RestoreResult, describeTruncateBlockers, isSameDatabase, truncateBlockers, readManifest, readTocHeader } from '../core/logical';
import { databaseNames, dropDatabase, listDatabases, withClient, formatQualifiedName, freeName, newDatabaseNameProblem, quoteIdentAlways, type QualifiedName } from '../core/postgres';
import type { ConnectionProfile } from '../core/profiles';
import type { DumpSelection } from '../commandArgs';
import type { RestoreRequest } from '../requests';
import { existingTablesQuestion, type ExistingTablesChoice } from './restoreQuestions';
import { percentReporter, withCancellableProgress } from '../progress';
import { askNewDatabaseOptions, confirmRestoreCommand, NEW_WITH_OPTIONS, type NewDatabaseOptions } from './restoreOptions';

/** Restores a dump, or the tables picked in it, asking for what the request leaves out. */
export async function restoreCommand(ctx: Ctx, { dumpPath, tables }: DumpSelection, given: RestoreRequest | undefined): Promise<RestoreResult | undefined> {
  const request = given ?? {};
  const manifest = await readManifest(dumpPath).catch(() => undefined);
  const what = tables.length ? `${tables.map(formatQualifiedName).join(', ')} from ${lastPathPart(dumpPath)}` : lastPathPart(dumpPath);

  // Target: a connection and a database, existing or new.
  const profile = await pickTarget(ctx, request.profile, manifest?.profile);
  if (!profile) return undefined;
  const conn = await ctx.connection(profile);
  let database = request.database;
  let create = request.create;
  let withOptions: NewDatabaseOptions | undefined;
  if (!database) {
    const { databases, taken } = await withClient(conn.params, { password: conn.password }, async (c) => ({ databases: await listDatabases(c), taken: await databaseNames(c) }));
    const NEW = '$(add) New database…';
    const choice = await vscode.window.showQuickPick([NEW, NEW_WITH_OPTIONS, ...databases.map((d) => d.name)], {
      title: `Restore ${what}: into which database on ${profile.name}?`,
      ignoreFocusOut: true,
    });
    if (!choice) return undefined;
    if (choice === NEW || choice === NEW_WITH_OPTIONS) {
      // A name the server has not got, and the box refuses one it has: Enter never ends the restore in an error.
      const suggested = freeName(`${manifest?.database ?? 'restored'}_restored`, taken);
      database = await vscode.window.showInputBox({
        title: 'Name of the new database',
        prompt: `A database that does not exist yet on ${profile.name}`,
        value: suggested,
        ignoreFocusOut: true,
        validateInput: (name) => newDatabaseNameProblem(name, taken),
      });
      if (!database) return undefined;
      create = true;
      if (choice === NEW_WITH_OPTIONS) {
        const picked = await askNewDatabaseOptions(dumpPath, database);
        if (!picked || !(await confirmRestoreCommand(ctx, { params: conn.params, password: conn.password, database, dumpPath, options: picked }))) return undefined;
        withOptions = picked;
      }
    } else database = choice;
  }

  // The very database the dump came from: ask, naming it.
  const header = manifest ? undefined : await readTocHeader(dumpPath);
  const source = manifest ? { host: manifest.host, port: manifest.port, database: manifest.database } : { dbname: header?.dbname };
  if (!create && isSameDatabase(source, { host: conn.params.host, port: conn.params.port, database })) {
    const ok =
      request.confirm ||
      (await vscode.window.showWarningMessage(
        `"${database}" on ${profile.name} is the database this dump was taken from. Restore into it anyway?`,
        { modal: true },
        'Restore into it',
      )) === 'Restore into it';
    if (!ok) return undefined;
  }

  const options: Partial<RestoreOptions> = {
    clean: request.clean,
    dataOnly: request.dataOnly,
    recreate: request.recreate,
    noOwner: request.noOwner,
    singleTransaction: request.singleTransaction,
    exitOnError: request.exitOnError,
    jobs: request.jobs,
    role: request.role,
    sections: request.sections,
    disableTriggers: request.disableTriggers,
    ...withOptions,
  };
  const interactive = given === undefined;
  if (!create && tables.length > 0) {
    // Chosen tables that already exist: replace their rows, or drop and recreate them. Either loses
    // what is there now, so either is asked, however the restore was started.
    const existing = await existingTables(ctx, profile, database, tables);
    if (existing.length > 0) {
      const names = existing.map(formatQualifiedName).join(', ');
      let choice: ExistingTablesChoice | undefined = request.dataOnly ? 'data' : request.recreate ? 'recreate' : undefined;
      if (!choice) {
        // TRUNCATE is refused when another table's foreign key points at a chosen one: not offered then, and the key named.
        const blockers = await withClient(conn.params, { password: conn.password, database }, (c) => truncateBlockers(c, existing));
        // The title says what is ruled out, the placeholder which key does it (both fit the box's width).
        const why = blockers.length > 0 ? describeTruncateBlockers(blockers) : undefined;
        const picked = await vscode.window.showQuickPick(
          [
            ...(why
              ? []
              : [{ label: 'Replace the rows (data only)', description: 'TRUNCATE, then load the dump\'s rows; keeps grants and dependants', value: 'data' as const }]),
            { label: 'Drop and recreate', description: 'the table as it was in the dump, with its indexes, constraints and sequences', value: 'recreate' as const },
          ],
          {
            title: `${names} already exist${existing.length === 1 ? 's' : ''} in ${database}${why ? '; a foreign key rules out TRUNCATE' : ''}`,
            ...(why ? { placeHolder: why } : {}),
            ignoreFocusOut: true,
          },
        );
        if (!picked) return undefined;
        choice = picked.value;
      }
      const question = existingTablesQuestion(choice, names, database);
      const ok =
        request.confirm ||
        (await vscode.window.showWarningMessage(question.message, { modal: true, detail: question.detail }, question.confirm)) === question.confirm;
      if (!ok) return undefined;
      if (choice === 'data') options.dataOnly = true;
      else options.recreate = true;
    }
  } else if (!create && tables.length === 0 && interactive && options.clean === undefined) {
    const picks = await vscode.window.showQuickPick(
      [
        { label: 'Clean', description: 'drop the dump\'s objects first (--clean --if-exists)', key: 'clean' as const },
        { label: 'No owner', description: 'skip ALTER … OWNER TO', key: 'noOwner' as const },
        { label: 'Single transaction', description: 'all or nothing', key: 'singleTransaction' as const },
        { label: 'Exit on error', description: 'stop at the first error', key: 'exitOnError' as const, picked: true },
      ],
      { title: `Restore ${what} into ${database}: options`, canPickMany: true, ignoreFocusOut: true },
    );
    if (!picks) return undefined;
    for (const p of picks) options[p.key] = true;
    if (!options.singleTransaction && (manifest?.format === 'custom' || manifest?.format === 'directory')) options.jobs = Math.min(4, os.availableParallelism());
  }

  const restore = (skipChecksum: boolean) => withCancellableProgress(`Restoring ${what} into ${database}`, async (progress, signal) => {
    const report = percentReporter(progress);
    return runRestore({
      ...options,
      skipChecksum,
      dumpPath,
      connection: conn.params,
      password: conn.password,
      database: database,
      create,
      tables,
      inventory: await ctx.tools(),
      decryption: await ctx.identity.decryption(),
      logger: ctx.log,
      signal,
      onProgress: (p) => report(`${p.done}${p.total ? ` of ${p.total}` : ''}: ${p.item}`, p.done, p.total),
    });
  });
  let result: RestoreResult;
  try {
    result = await restore(false);
  } catch (e) {
    if (!(e instanceof PgbrError && e.kind === 'damaged')) throw e;
    ctx.dumpsChanged();
    // The user may know better (the only copy left); the choice is theirs, said plainly.
    const anyway = 'Restore Anyway';
    const choice = await vscode.window.showErrorMessage(`${e.message}`, { modal: true, detail: 'Restoring it anyway may load damaged rows without any error.' }, anyway);
    if (choice !== anyway) return undefined;
    result = await restore(true);
  }
  const maintenance = conn.params.database || 'postgres';
  const changed = (): void => ctx.servers.databasesChanged({ profile: profile.name, database: result.database });
  await reportRestore(ctx, result, what, () => withClient(conn.params, { password: conn.password, database: maintenance }, (c) => dropDatabase(c, result.database)).then(changed));
  changed();
  return result;
}

/**
 * Success says so; a failure (errors ignored included) shows the first errors and offers the whole log.
 * A database this restore created and left behind (cancelled or failed) gets a button that drops it.
 */
async function reportRestore(ctx: Ctx, result: RestoreResult, what: string, dropCreated?: () => Promise<void>): Promise<void> {
  ctx.log.info(`restore of ${what} into ${result.database}: ${result.status} (${result.message})`);
  if (result.status === 'succeeded') {
    for (const w of result.warnings) ctx.log.warn(w);
    if (result.warnings.length > 0) void vscode.window.showWarningMessage(printable(`Restored ${what} into ${result.database}. ${result.warnings.join(' ')}`));
    else void vscode.window.showInformationMessage(printable(`Restored ${what} into ${result.database} ${formatWhen(new Date(), { noAge: true })} (${result.itemsDone} items, ${(result.durationMs / 1000).toFixed(1)} s).`));
    return;
  }
  const drop = result.created && dropCreated ? DROP_BUTTON(result.database) : undefined;
  const offerDrop = (choice: string | undefined): void => {
    if (!drop || choice !== drop || !dropCreated) return;
    dropCreated().then(
      () => {
        ctx.log.info(`dropped database ${result.database}, created by the restore of ${what}`);
        void vscode.window.showInformationMessage(printable(`Dropped the database ${result.database}.`));
      },
      (e: unknown) => {
        ctx.log.error(e instanceof Error ? e : String(e));
        void vscode.window.showErrorMessage(printable(`The database ${result.database} could not be dropped: ${errorMessage(e)}`));
      },
    );
  };
  if (result.status === 'cancelled') {
    // Asked for, so no alarm: a plain line, and the button when there is a database to clean up.
    if (drop) void vscode.window.showInformationMessage(printable(`The restore of ${what} was cancelled. The database ${result.database} was created by it: drop it?`), drop).then(offerDrop);
    return;
  }
  for (const e of result.errors) ctx.log.error(e);
  const first = result.errors[0] ? ` First error: ${result.errors[0]}` : '';
  const buttons = drop ? ['Show log', drop] : ['Show log'];
  void vscode.window.showErrorMessage(printable(`Restore of ${what} into ${result.database} FAILED: ${result.message}${first}`), ...buttons).then(async (choice) => {
    offerDrop(choice);
    if (choice !== 'Show log') return;
    const doc = await vscode.workspace.openTextDocument({ content: result.log, language: 'log' });
    await vscode.window.showTextDocument(doc);
  });
}

/** The button that drops a database a cancelled or failed restore created. */
const DROP_BUTTON = (database: string): string => `Drop ${database}`;

/** The connection given, or asked for, with the one the dump came from offered first. */
async function pickTarget(ctx: Ctx, given: string | undefined, source: string | undefined): Promise<ConnectionProfile | undefined> {
  if (given) return ctx.profile(given);
  const profiles = (await ctx.profiles()).profiles;
  if (profiles.length === 0) throw new PgbrError('config', 'There are no connections to restore into: add one with "PG Backup: Add Connection…".');
  const ordered = [...profiles].sort((a, b) => Number(b.name === source) - Number(a.name === source));
  const choice = await vscode.window.showQuickPick(
    ordered.map((p) => ({ label: p.name, description: p.name === source ? 'where the dump was taken' : p.source.label, profile: p })),
    { title: 'Restore into which connection?', ignoreFocusOut: true },
  );
  return choice?.profile;
}

async function existingTables(ctx: Ctx, profile: ConnectionProfile, database: string, tables: QualifiedName[]): Promise<QualifiedName[]> {
  const conn = await ctx.connection(profile);
  return withClient(conn.params, { password: conn.password, database }, async (c) => {
    const found: QualifiedName[] = [];
    for (const t of tables) {
      const r = await c.query('SELECT to_regclass($1) IS NOT NULL AS present', [`${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)}`]);
      if ((r.rows[0] as { present: boolean } | undefined)?.present) found.push(t);
    }
    return found;
  });
}
