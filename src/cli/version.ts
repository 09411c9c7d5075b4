// What `pgbr --version` says: the product version and the commit the bundle was built from.

/** Set by the build (scripts/cli-build.mjs): `git rev-parse --short HEAD`, `-dirty` when the tree had changes, or "unknown". */
declare const PGBR_COMMIT: string | undefined;

/** The build's commit; "unknown" when pgbr runs from source (tests, tsx) rather than from a build. */
export const BUILD_COMMIT: string = typeof PGBR_COMMIT === 'string' && PGBR_COMMIT !== '' ? PGBR_COMMIT : 'unknown';

/** `pgbr 0.1.0 (commit 1a2b3c4)`: the version first, so `pgbr --version | cut -d' ' -f2` gives it alone. */
export function versionText(version: string, commit: string = BUILD_COMMIT): string {
  return `pgbr ${version} (commit ${commit})`;
}
