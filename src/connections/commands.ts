// Commands on connection profiles: add, edit, remove, test, refresh, and the stored password.
import * as vscode from 'vscode';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { PgbrError, writeFileAtomic } from '../core/platform';
import { type ConnectionParams, type ConnectionProfile, type SslMode, SSL_MODES, addConnectionToYaml, findConnectionLine, parseConnectionUri, removeConnectionFromYaml, describeParams, WORKSPACE_CONFIG_FILE } from '../core/profiles';
import { getServerInfo, withClient, type ServerInfo, resolveConnection, defaultConnectContext } from '../core/postgres';
import type { ConnectionsProvider } from './tree';
import type { NewConnection } from '../requests';
import { pickConnection } from '../pickConnection';
import { settingScopes, updateSetting } from '../settings';

export function connectionCommands(ctx: Ctx, tree: ConnectionsProvider) {
  const pick = (): Promise<string | undefined> => pickConnection(ctx, { placeHolder: 'Connection' });

  return {
    'pgBackup.refreshConnections': { run: () => tree.refresh() },

    'pgBackup.addConnection': { pick: () => promptNewConnection(ctx), run: (input) => addConnection(ctx, input) },

    'pgBackup.editConnection': {
      pick,
      run: async (name) => {
        const profile = await ctx.profile(name);
        if (profile.source.kind === 'yaml' && profile.source.file) {
          const text = await fs.readFile(profile.source.file, 'utf8');
          const line = (findConnectionLine(text, profile.name) ?? profile.source.line ?? 1) - 1;
          await vscode.window.showTextDocument(vscode.Uri.file(profile.source.file), {
            selection: new vscode.Range(line, 0, line, 0),
          });
        } else if (profile.source.kind === 'setting') {
          await vscode.commands.executeCommand('workbench.action.openSettings', 'pgBackup.connections');
        } else if (profile.source.file) {
          const line = Math.max(0, (profile.source.line ?? 1) - 1);
          await vscode.window.showTextDocument(vscode.Uri.file(profile.source.file), { selection: new vscode.Range(line, 0, line, 0) });
        } else {
          void vscode.window.showInformationMessage(
            `"${profile.name}" comes from the PGHOST/PGPORT/PGUSER/PGDATABASE variables: change them where VS Code is started.`,
          );
        }
      },
    },

    'pgBackup.removeConnection': {
      pick,
      run: async (name, callerConfirmed) => {
        const profile = await ctx.profile(name);
        const confirmed =
          callerConfirmed ||
          (await vscode.window.showWarningMessage(
            `Remove the connection "${profile.name}" from ${profile.source.label}? Its stored password is forgotten too.`,
            { modal: true },
            'Remove',
          )) === 'Remove';
        if (!confirmed) return false;
        await removeConnection(ctx, profile);
        await ctx.passwords.forget(profile.name, await ctx.serverOf(profile));
        ctx.invalidateProfiles();
        return true;
      },
    },

    'pgBackup.testConnection': {
      pick,
      run: async (name) => {
        const profile = await ctx.profile(name);
        const server = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Testing connection "${profile.name}"…` },
          () => testConnection(ctx, profile),
        );
        void vscode.window.showInformationMessage(
          `Connected to "${profile.name}": PostgreSQL ${server.version}, wal_level ${server.walLevel}, archive_mode ${server.archiveMode}.`,
        );
        return server;
      },
    },

    'pgBackup.setPassword': {
      pick,
      run: async (name, password) => {
        const profile = await ctx.profile(name);
        const value =
          password ??
          (await vscode.window.showInputBox({
            title: `Password for "${profile.name}"`,
            prompt: 'Kept in VS Code secret storage; never written to settings or pgbackup.yaml.',
            password: true,
            ignoreFocusOut: true,
          }));
        if (value === undefined) return false;
        await ctx.passwords.set(profile.name, await ctx.serverOf(profile), value);
        ctx.log.info(`stored a password for "${profile.name}"`);
        ctx.invalidateProfiles();
        return true;
      },
    },

    'pgBackup.forgetPassword': {
      pick,
      run: async (name) => {
        const profile = await ctx.profile(name);
        await ctx.passwords.forget(profile.name, await ctx.serverOf(profile));
        ctx.log.info(`forgot the stored password for "${profile.name}"`);
        ctx.invalidateProfiles();
      },
    },
  } satisfies Partial<CommandTable>;
}

async function testConnection(ctx: Ctx, profile: ConnectionProfile): Promise<ServerInfo> {
  const conn = await ctx.connection(profile);
  const server = await withClient(conn.params, { password: conn.password }, getServerInfo);
  ctx.log.info(`connection "${profile.name}" (${describeParams(conn.params)}): PostgreSQL ${server.version}`);
  ctx.servers.connectionState({ profile: profile.name, ok: true });
  return server;
}

/** Tests the new profile, then writes it to pgbackup.yaml (or the user setting without a workspace). */
async function addConnection(ctx: Ctx, input: NewConnection): Promise<string | undefined> {
  const params: ConnectionParams = input.uri ? parseConnectionUri(input.uri) : fieldsOf(input);
  const existing = (await ctx.profiles()).profiles.find((p) => p.name === input.name);
  if (existing) {
    throw new PgbrError('config', `A connection named "${input.name}" already exists in ${existing.source.label}: choose another name.`);
  }
  if (!input.saveWithoutTest) {
    const draft: ConnectionProfile = { name: input.name, params, source: { kind: 'setting', label: 'new connection' } };
    const conn = await resolveConnection(draft, defaultConnectContext(), input.password);
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Testing connection "${input.name}"…` },
        () => withClient(conn.params, { password: conn.password }, getServerInfo),
      );
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const choice = await vscode.window.showErrorMessage(`${message} Save the connection anyway?`, 'Save anyway');
      if (choice !== 'Save anyway') return undefined;
    }
  }
  const folder = ctx.workspaceFolder;
  const entry = input.uri ? { name: input.name, uri: input.uri } : { name: input.name, ...fieldsOf(input) };
  let where: string;
  if (folder) {
    const file = path.join(folder, WORKSPACE_CONFIG_FILE);
    const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    await writeFileAtomic(file, addConnectionToYaml(text, entry));
    where = file;
  } else {
    const list = settingScopes('connections').user ?? [];
    await updateSetting('connections', [...list, entry], vscode.ConfigurationTarget.Global);
    where = 'setting pgBackup.connections';
  }
  if (input.password !== undefined) {
    const draft: ConnectionProfile = { name: input.name, params, source: { kind: 'setting', label: 'new connection' } };
    await ctx.passwords.set(input.name, await ctx.serverOf(draft), input.password);
  }
  ctx.log.info(`added connection "${input.name}" to ${where}`);
  ctx.invalidateProfiles();
  return where;
}

async function removeConnection(ctx: Ctx, profile: ConnectionProfile): Promise<void> {
  if (profile.source.kind === 'yaml' && profile.source.file) {
    const text = await fs.readFile(profile.source.file, 'utf8');
    await writeFileAtomic(profile.source.file, removeConnectionFromYaml(text, profile.name));
  } else if (profile.source.kind === 'setting') {
    const scopes = settingScopes('connections');
    const target = scopes.workspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const list = (scopes.workspace ?? scopes.user ?? []) as { name?: string }[];
    await updateSetting('connections', list.filter((c) => c.name !== profile.name), target);
  } else {
    throw new PgbrError(
      'config',
      `"${profile.name}" comes from ${profile.source.label}, which this extension does not edit: remove it there.`,
    );
  }
  ctx.log.info(`removed connection "${profile.name}" from ${profile.source.label}`);
}

async function promptNewConnection(ctx: Ctx): Promise<NewConnection | undefined> {
  const existing = new Set((await ctx.profiles()).profiles.map((p) => p.name));
  const name = await vscode.window.showInputBox({
    title: 'Add connection (1/3): name',
    prompt: 'A short name for this connection, shown in the tree and used by pgbr --conn.',
    ignoreFocusOut: true,
    validateInput: (v) =>
      !v.trim() ? 'Enter a name.' : existing.has(v.trim()) ? `"${v.trim()}" is already used by another connection.` : undefined,
  });
  if (!name) return undefined;
  const how = await vscode.window.showQuickPick(
    [
      { label: 'Connection URI', detail: 'postgresql://user@host:5432/database?sslmode=require', value: 'uri' as const },
      { label: 'Host, port, user and database', detail: 'Enter each field', value: 'fields' as const },
    ],
    { title: 'Add connection (2/3): how', ignoreFocusOut: true },
  );
  if (!how) return undefined;
  let input: NewConnection;
  if (how.value === 'uri') {
    const uri = await vscode.window.showInputBox({
      title: 'Add connection (2/3): URI',
      placeHolder: 'postgresql://user@host:5432/database',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          parseConnectionUri(v.trim());
          return undefined;
        } catch (e) {
          return e instanceof Error ? e.message : String(e);
        }
      },
    });
    if (!uri) return undefined;
    input = { name: name.trim(), uri: uri.trim() };
  } else {
    const host = await vscode.window.showInputBox({ title: 'Host (or unix-socket folder)', value: 'localhost', ignoreFocusOut: true });
    if (host === undefined) return undefined;
    const port = await vscode.window.showInputBox({
      title: 'Port',
      value: '5432',
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 65535 ? undefined : 'A port is a number from 1 to 65535.'),
    });
    if (port === undefined) return undefined;
    const user = await vscode.window.showInputBox({ title: 'User', value: defaultConnectContext().osUser, ignoreFocusOut: true });
    if (user === undefined) return undefined;
    const database = await vscode.window.showInputBox({ title: 'Database', value: user, ignoreFocusOut: true });
    if (database === undefined) return undefined;
    const sslmode = await vscode.window.showQuickPick([...SSL_MODES], { title: 'sslmode', placeHolder: 'prefer', ignoreFocusOut: true });
    if (sslmode === undefined) return undefined;
    input = { name: name.trim(), host, port: Number(port), user, database, sslmode: sslmode as SslMode };
  }
  const password = await vscode.window.showInputBox({
    title: 'Add connection (3/3): password',
    prompt: 'Leave empty to use ~/.pgpass or no password. A password is kept in VS Code secret storage only.',
    password: true,
    ignoreFocusOut: true,
  });
  if (password === undefined) return undefined;
  return { ...input, password: password || undefined };
}

function fieldsOf(input: NewConnection): ConnectionParams {
  const params: ConnectionParams = {};
  if (input.host) params.host = input.host;
  if (input.port !== undefined) {
    if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
      throw new PgbrError('config', `port ${input.port} is out of range: use 1-65535.`);
    }
    params.port = input.port;
  }
  if (input.user) params.user = input.user;
  if (input.database) params.database = input.database;
  if (input.sslmode) params.sslmode = input.sslmode;
  return params;
}

