// Passwords per profile in VS Code SecretStorage: never in settings, YAML or logs.
import type * as vscode from 'vscode';

const keyFor = (profileName: string): string => `pgBackup.password/${profileName}`;

export class PasswordStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(profileName: string): Thenable<string | undefined> {
    return this.secrets.get(keyFor(profileName));
  }

  async has(profileName: string): Promise<boolean> {
    return (await this.get(profileName)) !== undefined;
  }

  set(profileName: string, password: string): Thenable<void> {
    return this.secrets.store(keyFor(profileName), password);
  }

  forget(profileName: string): Thenable<void> {
    return this.secrets.delete(keyFor(profileName));
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key.startsWith('pgBackup.password/')) listener();
    });
  }
}
