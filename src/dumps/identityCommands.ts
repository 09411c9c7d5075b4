// Set / Forget Decryption Identity: the age key that opens encrypted dumps, pasted (kept in secret
// storage) or an identity file picked (its path remembered, the file read when needed). GPG needs
// neither: it uses the user's agent and keyring.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { parseAgeIdentities, readAgeIdentityFile } from '../core/crypto';
import { errorMessage } from '../core/platform';
import { PASTED_SOURCE, readIdentityAnswer, type IdentityAnswer } from './identityChoice';

export function identityCommands(ctx: Ctx) {
  return {
    'pgBackup.setDecryptionIdentity': {
      // A caller may pass the answer: an AGE-SECRET-KEY-1… text or an identity file's absolute path.
      run: async (_none: undefined, given: string | undefined) => {
        const answer = given !== undefined ? readIdentityAnswer(given) : await askIdentity();
        if (!answer) return false;
        // A file is checked now, so a wrong pick is said here and not when a dump is opened.
        if (answer.kind === 'file') await readAgeIdentityFile(answer.path);
        await ctx.identity.set(answer);
        ctx.log.info(answer.kind === 'key' ? 'stored an age identity in secret storage' : `age identity file set to ${answer.path}`);
        return true;
      },
    },
    'pgBackup.forgetDecryptionIdentity': {
      run: async () => {
        await ctx.identity.forget();
        ctx.log.info('forgot the age decryption identity');
        const envFile = ctx.identity.envFile();
        if (envFile) void vscode.window.showInformationMessage(`The identity set here is forgotten; PGBR_AGE_IDENTITY_FILE still names ${envFile}, so encrypted dumps open with that file until the variable is unset.`);
      },
    },
  } satisfies Partial<CommandTable>;
}

async function askIdentity(): Promise<IdentityAnswer | undefined> {
  const paste = 'Paste an age secret key';
  const file = 'Choose an age identity file…';
  const choice = await vscode.window.showQuickPick(
    [
      { label: paste, description: 'kept in VS Code secret storage' },
      { label: file, description: 'its path is remembered; the file is read when a dump is opened' },
    ],
    { title: 'Decryption identity for age-encrypted dumps (GPG uses your keyring)' },
  );
  if (!choice) return undefined;
  if (choice.label === paste) {
    const text = await vscode.window.showInputBox({
      title: 'age secret key',
      prompt: 'An AGE-SECRET-KEY-1… line, as age-keygen writes it. Kept in VS Code secret storage; never in settings or files.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          parseAgeIdentities(v, PASTED_SOURCE);
          return undefined;
        } catch (e) {
          return errorMessage(e);
        }
      },
    });
    return text === undefined ? undefined : readIdentityAnswer(text);
  }
  const picked = await vscode.window.showOpenDialog({ title: 'age identity file', canSelectMany: false, openLabel: 'Use This Identity' });
  const fsPath = picked?.[0]?.fsPath;
  return fsPath === undefined ? undefined : { kind: 'file', path: fsPath };
}
