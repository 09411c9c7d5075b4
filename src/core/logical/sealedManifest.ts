// `encryptManifest`: a manifest whose table names and counts are sealed to the dump's own recipients.
//
// The manifest must stay readable without the key, because it is the proof the `.partial` lifecycle,
// listings, retention and the checksum check rely on. So it keeps what says which backup this is and
// whether its bytes are intact (kind, profile, plan, host, port, user, database, versions, format,
// times, size, sha256, scheme and recipients, a verification's verdict and time) and seals the rest
// (every table's name and row count, the table and schema options, the snapshot) as age or GPG armour
// in `encryption.sealed`. With the key (verify, toc), the sealed part is opened and merged back.
import { decryptText, encryptText, type DecryptKey } from '../crypto/tools';
import { PgbrError, errorMessage } from '../platform/errors';
import type { DumpEncryption } from './dumpEncrypted';
import type { Decryption } from './encryptedDump';
import type { DumpManifest, Verification } from './manifest';

/** What is sealed: the fields that name tables. */
interface SealedPart {
  rowCounts: DumpManifest['rowCounts'];
  options: Pick<DumpManifest['options'], 'tables' | 'excludeTables' | 'excludeTableData' | 'schemas'>;
  snapshot?: string;
}

const NAMING_OPTIONS = ['tables', 'excludeTables', 'excludeTableData', 'schemas'] as const;

/** The manifest as written with `encryptManifest`: no table name or count left in the clear. */
export async function sealManifest(manifest: DumpManifest, enc: DumpEncryption): Promise<DumpManifest> {
  if (!manifest.encryption) throw new PgbrError('usage', 'encryptManifest needs an encrypted dump: give recipients with --encrypt-to or encrypt:');
  const options: SealedPart['options'] = {};
  const open: DumpManifest['options'] = { ...manifest.options };
  for (const k of NAMING_OPTIONS) {
    if (open[k] !== undefined) options[k] = open[k];
    delete open[k];
  }
  const part: SealedPart = { rowCounts: manifest.rowCounts, options, ...(manifest.snapshot !== undefined ? { snapshot: manifest.snapshot } : {}) };
  const sealed = await encryptText(enc.scheme, enc.recipients, JSON.stringify(part));
  const out: DumpManifest = { ...manifest, options: open, rowCounts: [], encryption: { ...manifest.encryption, sealed } };
  delete out.snapshot;
  return out;
}

export function isSealed(manifest: DumpManifest | undefined): boolean {
  return manifest?.encryption?.sealed !== undefined;
}

/** The manifest with its sealed part opened and merged back (unchanged when nothing is sealed). */
export async function unsealManifest(manifest: DumpManifest, dumpName: string, d: Decryption): Promise<DumpManifest> {
  const enc = manifest.encryption;
  if (!enc?.sealed) return manifest;
  const key: DecryptKey = { scheme: enc.scheme, ...(d.identities ? { identities: d.identities } : {}) };
  const text = await decryptText(enc.sealed, `the manifest of ${dumpName}`, key, d.tools ? { tools: d.tools } : {});
  let part: SealedPart;
  try {
    part = JSON.parse(text) as SealedPart;
  } catch (e) {
    throw new PgbrError('damaged', `the sealed part of the manifest of ${dumpName} is not what pgbr wrote (${errorMessage(e)}): restore the manifest from a copy.`);
  }
  if (!Array.isArray(part.rowCounts)) throw new PgbrError('damaged', `the sealed part of the manifest of ${dumpName} has no row counts: restore the manifest from a copy.`);
  return { ...manifest, rowCounts: part.rowCounts, options: { ...manifest.options, ...part.options }, ...(part.snapshot !== undefined ? { snapshot: part.snapshot } : {}) };
}

/** A verification as a sealed manifest may record it: the verdict and its time, no table names. */
export function sealedVerification(v: Verification): Verification {
  const { foreignKeysLeftOut: _left, ...rest } = v;
  void _left;
  return { ...rest, tables: [], ...(v.status === 'failed' ? { message: 'the verification failed: run pgbr verify with the identity to see which tables differ' } : {}) };
}
