// What commands accept whole from a caller (a test, a task, another command) instead of asking for it.
import type { SslMode } from './core/profiles';
import type { DumpContentOptions, DumpSection } from './core/logical';
import type { BaseBackupFormat, CheckpointMode } from './core/physical';

/** What "Add connection" accepts without prompting. */
export interface NewConnection {
  name: string;
  uri?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  sslmode?: SslMode;
  /** Stored in SecretStorage, never written to the profile. */
  password?: string;
  /** Write the profile even when the connection test fails. */
  saveWithoutTest?: boolean;
}

/** The choices a backup is made of; remembered per database, and accepted whole by the command. */
export interface BackupRequest extends DumpContentOptions {
  profile: string;
  database: string;
  /** Skip every prompt: use what is given and the remembered or default choices. */
  quiet?: boolean;
  /** Output folder; default the first dump folder. */
  folder?: string;
  /** The file name, when a command preview already showed it; default from the name template. */
  fileName?: string;
}

/** What Restore accepts without prompting. Missing choices are asked for. */
export interface RestoreRequest {
  profile?: string;
  database?: string;
  create?: boolean;
  clean?: boolean;
  dataOnly?: boolean;
  recreate?: boolean;
  noOwner?: boolean;
  singleTransaction?: boolean;
  exitOnError?: boolean;
  jobs?: number;
  role?: string;
  sections?: DumpSection[];
  disableTriggers?: boolean;
  /** Answer yes to the questions (truncate, same database). */
  confirm?: boolean;
}

/** What Take Base Backup accepts without prompting. */
export interface BaseBackupRequest {
  profile: string;
  format?: BaseBackupFormat;
  compression?: string;
  checkpoint?: CheckpointMode;
  label?: string;
}
