// Which server a stored password belongs to: the key it is kept under, so it is never sent to another.
import type { EffectiveParams } from './index';

/** Keys of the first releases: the profile name only, so any folder's "prod" received them. */
export const LEGACY_PASSWORD_PREFIX = 'pgBackup.password/';
export const PASSWORD_PREFIX = 'pgBackup.password.v2/';

export function legacyPasswordKey(profileName: string): string {
  return `${LEGACY_PASSWORD_PREFIX}${profileName}`;
}

/**
 * `user@host:port` as libpq would connect. The database is left out: a role's password is the same in
 * every database of a cluster, and the Connections view opens each database with it.
 */
export function serverOf(params: Pick<EffectiveParams, 'host' | 'port' | 'user'>): string {
  const host = params.host.startsWith('/') ? params.host : params.host.toLowerCase();
  return `${params.user}@${host}:${params.port}`;
}

/** The profile name and the server together: a same-named profile elsewhere gets another key. */
export function passwordKey(profileName: string, params: Pick<EffectiveParams, 'host' | 'port' | 'user'>): string {
  return `${PASSWORD_PREFIX}${encodeURIComponent(profileName)}/${encodeURIComponent(serverOf(params))}`;
}
