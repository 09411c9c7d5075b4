// Connection profiles: what a user declared, and where each one came from.

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** libpq connection parameters a profile may set. Unset fields fall back to libpq defaults. */
export interface ConnectionParams {
  /** Host name, IP address, or a unix-socket directory (starts with `/`). */
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  sslmode?: SslMode;
  /** Further libpq keywords (connect_timeout, application_name, sslrootcert, ...). */
  options?: Record<string, string>;
}

export type ProfileSourceKind = 'yaml' | 'setting' | 'service' | 'env';

export interface ProfileSource {
  kind: ProfileSourceKind;
  /** The file the profile was read from (pgbackup.yaml, pg_service.conf); absent for settings and env. */
  file?: string;
  /** 1-based line of the profile's entry in `file`. */
  line?: number;
  /** Short human text: `pgbackup.yaml:12`, `setting pgBackup.connections`, `~/.pg_service.conf [prod]`, `PG* environment`. */
  label: string;
}

export interface ConnectionProfile {
  /** Unique among the merged profiles; with the server, the key for SecretStorage passwords. */
  name: string;
  params: ConnectionParams;
  source: ProfileSource;
  /** The pg_service name, when the profile is a service or refers to one. */
  service?: string;
  /** Where a password written for this profile sits unused (a service file), to say why none is found. */
  ignoredPasswordIn?: string;
}

/** An entry that could not become a profile, or a conflict between sources. */
export interface ProfileProblem {
  source: ProfileSource;
  /** The profile the problem belongs to, when its name could be read. */
  profileName?: string;
  /** The plan (`plans:`) the problem belongs to: its name, or `#2` for an entry without one. */
  plan?: string;
  /** The repository (`repositories:`) the problem belongs to: its stanza, or `#2` for an entry without one. */
  repository?: string;
  /** One actionable sentence, e.g. `port 70000 is out of range: use 1-65535`. */
  message: string;
  /** `warning` when the profile still loaded (an ignored password, a hidden duplicate); absent means error. */
  severity?: 'error' | 'warning';
  /** The key the problem is about (`port`, `prot`), when there is one. */
  key?: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface ProfileSet {
  /** Merged, first source wins by name: yaml, then setting, then service, then env. */
  profiles: ConnectionProfile[];
  problems: ProfileProblem[];
}
