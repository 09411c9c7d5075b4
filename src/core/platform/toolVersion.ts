// The version a PostgreSQL tool reports (`pg_dump (PostgreSQL) 15.8 (Debian 15.8-1)`), read the same way everywhere.

const VERSION_PATTERN =
  /(?:\bPostgreSQL\)?|\([^)\n]*\))\s+v?(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:alpha|beta|rc|devel)\d*)?/i;

/**
 * Reads `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`, `psql (PostgreSQL) 16beta1`,
 * `pg_config`'s `PostgreSQL 17.0`, or a 9.x version, where the first two numbers are the major.
 */
export function parseToolVersion(output: string): { version: string; major: number } | undefined {
  const match = VERSION_PATTERN.exec(output);
  if (!match) return undefined;
  const [, first, second, third, suffix = ''] = match;
  const firstNumber = Number(first);
  const version = [first, second, third].filter((p) => p !== undefined).join('.') + suffix;
  const major = firstNumber < 10 && second !== undefined ? Number(`${firstNumber}.${second}`) : firstNumber;
  return { version, major };
}
