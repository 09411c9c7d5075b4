// Passwords in VS Code SecretStorage, each bound to the server it was given for: never in settings, YAML or logs.
import type * as vscode from 'vscode';
import { LEGACY_PASSWORD_PREFIX, PASSWORD_PREFIX, legacyPasswordKey, passwordKey, serverOf, type EffectiveParams, type ConnectionProfile } from '../core/profiles';
import { PgbrError, type Logger } from '../core/platform';

type Secrets = Pick<vscode.SecretStorage, 'get' | 'store' | 'delete' | 'onDidChange'>;
type Server = Pick<EffectiveParams, 'host' | 'port' | 'user'>;

export interface PasswordContext {
  /** False in Restricted Mode. */
  trusted: boolean;
  /** Connects with the password and returns when the server accepted it; throws otherwise. */
  probe: (password: string) => Promise<void>;
  /**
   * Asks the person whether a password saved before passwords were bound to servers may go to
   * `where`: only they know which server they saved it for, and a folder could name any server.
   */
  confirmLegacy: (where: string) => Promise<boolean>;
  log: Logger;
}

export class PasswordStore {
  /** Profile and server pairs whose server refused the legacy password in this session. */
  private readonly refused = new Set<string>();

  constructor(private readonly secrets: Secrets) {}

  /** The password stored for this profile on this server; a legacy one only through passwordFor(). */
  get(profileName: string, server: Server): Thenable<string | undefined> {
    return this.secrets.get(passwordKey(profileName, server));
  }

  async has(profileName: string, server: Server): Promise<boolean> {
    if ((await this.get(profileName, server)) !== undefined) return true;
    return !this.refused.has(refusalKey(profileName, server)) && (await this.secrets.get(legacyPasswordKey(profileName))) !== undefined;
  }

  async set(profileName: string, server: Server, password: string): Promise<void> {
    await this.secrets.store(passwordKey(profileName, server), password);
    await this.secrets.delete(legacyPasswordKey(profileName));
  }

  async forget(profileName: string, server: Server): Promise<void> {
    await this.secrets.delete(passwordKey(profileName, server));
    await this.secrets.delete(legacyPasswordKey(profileName));
  }

  /**
   * The password to send to `server` for `profile`. A password stored before passwords were bound to
   * servers (keyed by the profile name only) says nothing of the server it was given for. It is tried
   * once, if the person agrees and unless it would go to a server named by a folder the user has not trusted; if the server
   * accepts it, it is bound to that server and the old key deleted. If the server refuses it, it was
   * not this server's: it is kept for the profile it may belong to, and not sent again from here.
   */
  async passwordFor(profile: ConnectionProfile, server: Server, ctx: PasswordContext): Promise<string | undefined> {
    const bound = await this.get(profile.name, server);
    if (bound !== undefined) return bound;
    const legacy = await this.secrets.get(legacyPasswordKey(profile.name));
    if (legacy === undefined) return undefined;
    const where = serverOf(server);
    if (this.refused.has(refusalKey(profile.name, server))) return undefined;
    const fromWorkspace = profile.source.kind === 'yaml' || profile.source.kind === 'setting';
    if (!ctx.trusted && fromWorkspace) {
      ctx.log.warn(
        `"${profile.name}": a password stored before passwords were bound to servers is not sent to ${where}, which this untrusted folder names: trust the folder or set the password for this connection.`,
      );
      return undefined;
    }
    if (!(await ctx.confirmLegacy(where))) {
      ctx.log.info(`"${profile.name}": the password saved before passwords were bound to servers was not sent to ${where} (declined)`);
      this.refused.add(refusalKey(profile.name, server));
      return undefined;
    }
    try {
      await ctx.probe(legacy);
    } catch (e) {
      if (e instanceof PgbrError && e.kind === 'auth') {
        ctx.log.warn(`"${profile.name}": ${where} refused the password stored before passwords were bound to servers; it is kept, and not sent here again: set the password for this connection.`);
        this.refused.add(refusalKey(profile.name, server));
        return undefined;
      }
      // Not reached, or another failure: nothing is known yet, so it stays unbound and the error shows.
      return legacy;
    }
    await this.set(profile.name, server, legacy);
    ctx.log.info(`"${profile.name}": the stored password is now bound to ${where}`);
    return legacy;
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key.startsWith(PASSWORD_PREFIX) || e.key.startsWith(LEGACY_PASSWORD_PREFIX)) listener();
    });
  }
}

function refusalKey(profileName: string, server: Server): string {
  return `${profileName}\n${serverOf(server)}`;
}
