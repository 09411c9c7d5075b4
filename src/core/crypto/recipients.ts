// Who an encrypted backup is for: age X25519 recipients (`age1…`) and GPG keys named by fingerprint (`gpg:…`), parsed and checked before anything is written.
import { PgbrError } from '../platform/errors';

export type EncryptionScheme = 'age' | 'gpg';

export type Recipient =
  | { scheme: 'age'; /** The public key as written, `age1` and 58 bech32 characters. */ key: string }
  | { scheme: 'gpg'; /** The key's full fingerprint in upper case hex. */ fingerprint: string };

/**
 * X25519 recipients only: `age1` and the bech32 encoding of 32 bytes with its checksum (58 characters
 * of bech32's alphabet). Post-quantum `age1pq1…` keys are longer and left out on purpose: Debian's
 * age 1.1.1 cannot decrypt files written to them, and a backup must open with the tools people have.
 */
const AGE_X25519 = /^age1[02-9ac-hj-np-z]{58}$/;
/**
 * A v4 (40 hex digits) or v5 (64) fingerprint. Short and long key ids are refused: ids of 32 and 64
 * bits have been forged, and the fingerprint is what lets gpg run with `--trust-model always` safely
 * (the key is pinned by the user's own config, so the web of trust has nothing left to decide).
 */
const GPG_FINGERPRINT = /^(?:[0-9A-F]{40}|[0-9A-F]{64})$/;

/** The extension an encrypted dump gets after its own: `shop.dump.age`, `shop.dump.gpg`. */
export const ENCRYPTED_EXTENSIONS: Record<EncryptionScheme, string> = { age: '.age', gpg: '.gpg' };

/** `age1…` or `gpg:FINGERPRINT` → a recipient; anything else is a usage error saying what is accepted. */
export function parseRecipient(text: string): Recipient {
  const t = text.trim();
  if (/^gpg:/i.test(t)) {
    const fingerprint = t.slice(4).replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
    if (GPG_FINGERPRINT.test(fingerprint)) return { scheme: 'gpg', fingerprint };
    throw new PgbrError('usage', `"${t}" is not a GPG key fingerprint: write gpg: and the key's full fingerprint (40 hex digits, from gpg --fingerprint); short and long key ids can be forged.`);
  }
  const lower = t.toLowerCase();
  // bech32 is one case or the other; age writes lower case.
  if (t === lower || t === t.toUpperCase()) {
    if (AGE_X25519.test(lower)) return { scheme: 'age', key: lower };
    if (lower.startsWith('age1pq1')) {
      throw new PgbrError('usage', `"${shorten(t)}" is a post-quantum age key, which age 1.1.1 cannot decrypt: use an X25519 key (age-keygen prints one).`);
    }
  }
  if (t.startsWith('AGE-SECRET-KEY-')) {
    // Said without echoing it: this is a private key, and it must not end up in a terminal's scrollback twice.
    throw new PgbrError('usage', 'an age secret key was given as a recipient: give its public key (age-keygen -y FILE prints it) and keep the secret key out of command lines and config.');
  }
  throw new PgbrError('usage', `"${shorten(t)}" is not a recipient: give an age public key (age1…, 62 characters, from age-keygen) or gpg: and a key fingerprint.`);
}

/** Parses every recipient and checks they share one scheme: a file is either an age file or a GPG one. */
export function parseRecipients(texts: readonly string[]): { scheme: EncryptionScheme; recipients: Recipient[] } | undefined {
  if (texts.length === 0) return undefined;
  const recipients = texts.map(parseRecipient);
  const scheme = recipients[0]!.scheme;
  if (recipients.some((r) => r.scheme !== scheme)) {
    throw new PgbrError('usage', 'age and GPG recipients cannot be mixed: one file is encrypted one way. Choose age keys or GPG keys for this backup.');
  }
  // The same key twice adds a stanza and nothing else.
  const seen = new Set<string>();
  const unique = recipients.filter((r) => {
    const id = recipientText(r);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { scheme, recipients: unique };
}

/** How a recipient is written back (in manifests, messages): the form `parseRecipient` reads. */
export function recipientText(r: Recipient): string {
  return r.scheme === 'age' ? r.key : `gpg:${r.fingerprint}`;
}

function shorten(t: string): string {
  return t.length > 70 ? `${t.slice(0, 67)}…` : t;
}
