// The editor's age identity: a pasted key in VS Code SecretStorage, or the path of an identity file in
// globalState (the file itself is read when a dump is opened, never copied). Never in settings or logs.
import * as vscode from 'vscode';
import type { Decryption } from '../core/logical';
import { decryptionFrom, identityFileFromEnv, type IdentityAnswer } from './identityChoice';

const KEY_SECRET = 'pgBackup.ageIdentity';
const FILE_STATE = 'pgBackup.ageIdentityFile';

export class IdentityStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when an identity is set or forgotten (here or in another window, for the secret). */
  readonly onDidChange = this.changed.event;
  private readonly watch: vscode.Disposable;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
    /** The editor's environment: an identity file named by PGBR_AGE_IDENTITY_FILE there serves when none is set here. */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.watch = secrets.onDidChange((e) => {
      if (e.key === KEY_SECRET) this.changed.fire();
    });
  }

  async has(): Promise<boolean> {
    return (await this.secrets.get(KEY_SECRET)) !== undefined || this.state.get<string>(FILE_STATE) !== undefined || this.envFile() !== undefined;
  }

  /** The identity file PGBR_AGE_IDENTITY_FILE names, which serves when nothing is set here. */
  envFile(): string | undefined {
    return identityFileFromEnv(this.env);
  }

  async decryption(): Promise<Decryption> {
    const key = await this.secrets.get(KEY_SECRET);
    const file = this.state.get<string>(FILE_STATE);
    const envFile = this.envFile();
    return decryptionFrom({ ...(key !== undefined ? { key } : {}), ...(file !== undefined ? { file } : {}), ...(envFile !== undefined ? { envFile } : {}) });
  }

  /** Keeps one identity: setting a key forgets the file and the other way round. */
  async set(answer: IdentityAnswer): Promise<void> {
    if (answer.kind === 'key') {
      await this.secrets.store(KEY_SECRET, answer.identities.keys.join('\n'));
      await this.state.update(FILE_STATE, undefined);
    } else {
      await this.state.update(FILE_STATE, answer.path);
      await this.secrets.delete(KEY_SECRET);
    }
    this.changed.fire();
  }

  async forget(): Promise<void> {
    await this.secrets.delete(KEY_SECRET);
    await this.state.update(FILE_STATE, undefined);
    this.changed.fire();
  }

  dispose(): void {
    this.watch.dispose();
    this.changed.dispose();
  }
}
