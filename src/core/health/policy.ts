// The recovery targets a workspace declares in pgbackup.yaml (rpo, rto, maximum ages, retention, offsite).
import type { WorkspaceConfig } from '../profiles/yamlConfig';
import { parseDuration } from '../platform/duration';

// ---------------------------------------------------------------------------------------------
// Policy

/** Where copies go off this machine; pgbr records the declaration, it does not check the copy. */
export interface OffsiteTarget {
  target?: string;
  command?: string;
}

export interface HealthPolicy {
  rpoSeconds?: number;
  rtoSeconds?: number;
  baseBackupMaxAgeSeconds?: number;
  dumpMaxAgeSeconds?: number;
  /** As written in pgbackup.yaml; any value means a retention policy is defined. */
  retention?: unknown;
  offsite?: OffsiteTarget;
}

/** The policy declared in pgbackup.yaml; an empty policy when there is no file. Throws a config error for a malformed duration. */
export function healthPolicy(config: WorkspaceConfig | undefined): HealthPolicy {
  const policy: HealthPolicy = {};
  if (!config) return policy;
  if (config.rpo !== undefined) policy.rpoSeconds = parseDuration(config.rpo, 'rpo');
  if (config.rto !== undefined) policy.rtoSeconds = parseDuration(config.rto, 'rto');
  if (config.baseBackupMaxAge !== undefined) policy.baseBackupMaxAgeSeconds = parseDuration(config.baseBackupMaxAge, 'baseBackupMaxAge');
  if (config.dumpMaxAge !== undefined) policy.dumpMaxAgeSeconds = parseDuration(config.dumpMaxAge, 'dumpMaxAge');
  if (config.retention !== undefined && config.retention !== null) policy.retention = config.retention;
  if (typeof config.offsite === 'string') policy.offsite = { target: config.offsite };
  else if (config.offsite) policy.offsite = { ...config.offsite };
  return policy;
}
