// The services the extension shares: the log, passwords, and cached profiles and tools.
import * as vscode from 'vscode';
import { Log } from './log';
import { PasswordStore } from './connections/passwords';
import { IdentityStore } from './dumps/identity';
import { ServerEvents } from './connections/events';
import { loadProfiles, type ConnectionProfile, type ProfileSet, effectiveParams, findDefaultSocketDir, type EffectiveParams, type Places } from './core/profiles';
import { discoverTools, type ToolInventory, PgbrError } from './core/platform';
import { catalogIndexPlace, type CatalogIndexPlace } from './core/logical';
import { defaultConnectContext, resolveConnection, type ResolvedConnection, withClient } from './core/postgres';
import { setting, userSetting } from './settings';

export type LoadedProfiles = Awaited<ReturnType<typeof loadProfiles>>;

export class Ctx implements vscode.Disposable {
  readonly log = new Log();
  readonly passwords: PasswordStore;
  /** The age identity that opens encrypted dumps. */
  readonly identity: IdentityStore;
  /** Databases a command changed, and connections that failed or worked: for the views that show them. */
  readonly servers = new ServerEvents();
  readonly subscriptions: vscode.Disposable[];
  private readonly profilesChanged = new vscode.EventEmitter<void>();
  /** Fires when profiles may have changed: pgbackup.yaml, settings, or a stored password. */
  readonly onDidChangeProfiles = this.profilesChanged.event;
  private readonly dumpsChangedEmitter = new vscode.EventEmitter<void>();
  /** Fires when a command wrote, deleted or verified a dump (file watchers cover the rest). */
  readonly onDidChangeDumps = this.dumpsChangedEmitter.event;
  /** Where the dump folders' catalogue index is kept: the Dumps view, the retention preview and a plan's run list folders through it. */
  readonly catalogIndex: CatalogIndexPlace | undefined = catalogIndexPlace(process.env);
  private profilesCache?: Promise<LoadedProfiles>;
  private toolsCache?: Promise<ToolInventory>;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.subscriptions = extension.subscriptions;
    this.passwords = new PasswordStore(extension.secrets);
    this.identity = new IdentityStore(extension.secrets, extension.globalState);
    this.subscriptions.push(this.log, this.identity, this.servers, this.profilesChanged, this.dumpsChangedEmitter, this.baseBackupsChangedEmitter);
  }

  /** The folder that holds pgbackup.yaml: the first workspace folder on disk. */
  get workspaceFolder(): string | undefined {
    return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  }

  /** False in Restricted Mode: nothing the folder names (binPath, commands in pgbackup.yaml) is run. */
  /** Where dumps, base backups and archives are looked for: relative to the workspace, else in the extension's storage. */
  get places(): Places {
    return { ...(this.workspaceFolder ? { workspaceFolder: this.workspaceFolder } : {}), storage: this.extension.globalStorageUri.fsPath };
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  profiles(): Promise<LoadedProfiles> {
    this.profilesCache ??= loadProfiles({
      workspaceFolder: this.workspaceFolder,
      trusted: this.trusted,
      settingConnections: setting('connections'),
      env: process.env,
      homedir: defaultConnectContext().homedir,
    });
    return this.profilesCache;
  }

  async profile(name: string): Promise<ConnectionProfile> {
    const found = (await this.profiles()).profiles.find((p) => p.name === name);
    if (!found) throw new PgbrError('config', `There is no connection named "${name}": refresh the Connections view or add it.`);
    return found;
  }

  dumpsChanged(): void {
    this.dumpsChangedEmitter.fire();
  }

  private readonly baseBackupsChangedEmitter = new vscode.EventEmitter<void>();
  /** Fires when a base backup or restore point was made: the WAL Archive view lists them. */
  readonly onDidChangeBaseBackups = this.baseBackupsChangedEmitter.event;

  baseBackupsChanged(): void {
    this.baseBackupsChangedEmitter.fire();
  }

  invalidateProfiles(): void {
    this.profilesCache = undefined;
    this.profilesChanged.fire();
  }

  tools(refresh = false): Promise<ToolInventory> {
    if (refresh) this.toolsCache = undefined;
    this.toolsCache ??= discoverTools({
      binPath: this.binPath(),
      env: process.env,
      platform: process.platform,
      homedir: defaultConnectContext().homedir,
      logger: this.log,
    });
    return this.toolsCache;
  }

  /**
   * pgBackup.binPath, from the user's own settings only while the folder is not trusted. The manifest
   * lists it in restrictedConfigurations, so VS Code does the same; this keeps it so on any host.
   */
  private binPath(): string | Record<string, string> | undefined {
    return (this.trusted ? setting('binPath') : userSetting('binPath')) || undefined;
  }

  /** The server a profile connects to as libpq would (its defaults applied): what its password is bound to. */
  async serverOf(profile: ConnectionProfile): Promise<EffectiveParams> {
    const connect = defaultConnectContext();
    return effectiveParams(profile.params, connect.env, connect.osUser, await findDefaultSocketDir(connect.platform));
  }

  async connection(profile: ConnectionProfile): Promise<ResolvedConnection> {
    const connect = defaultConnectContext();
    const server = await this.serverOf(profile);
    const secret = await this.passwords.passwordFor(profile, server, {
      trusted: this.trusted,
      log: this.log,
      probe: (password) => withClient(server, { password }, async () => undefined),
      confirmLegacy: async (where) => {
        const send = 'Send It';
        const answer = await vscode.window.showWarningMessage(
          `A password for "${profile.name}" was saved before passwords were tied to a server. Send it to ${where}?`,
          { modal: true, detail: 'Say yes only if this is the server you saved it for: it is then kept for that server alone. Otherwise set the password for this connection.' },
          send,
        );
        return answer === send;
      },
    });
    const resolved = await resolveConnection(profile, connect, secret);
    if (resolved.warning) this.log.warn(`${profile.name}: ${resolved.warning}`);
    return resolved;
  }

  dispose(): void {
    // Disposables are owned by extension.subscriptions.
  }
}

export type { ProfileSet };
