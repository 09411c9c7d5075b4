// What `node scripts/setup.mjs test|demo` must install, decided from what setup.mjs found on the machine.
// Pure (no file system, no processes), so the unit tests can give it any machine. Node standard library
// only: it runs before node_modules exists.

/**
 * What the tests and the demo need from the system, each with how it is found and which Debian package
 * brings it. `codeServerBuild`: needed to build code-server's native modules (always for `test`, which
 * installs everything `.ci/run` always installed; for `demo` only when code-server is about to be built).
 * @type {readonly import('./setup-plan.d.mts').Requirement[]}
 */
export const REQUIREMENTS = [
  { check: 'postgres', label: 'PostgreSQL server (pg_ctl, postgres)', debian: 'postgresql', goals: ['test', 'demo'], codeServerBuild: false },
  { check: 'chromium', label: 'Chromium (drives VS Code in the end-to-end tests)', debian: 'chromium', goals: ['test'], codeServerBuild: false },
  { check: 'libkrb5-dev', label: 'Kerberos headers (libkrb5-dev)', debian: 'libkrb5-dev', goals: ['test'], codeServerBuild: true },
  { check: 'systemd-analyze', label: 'systemd-analyze (checks plan schedules)', debian: 'systemd', goals: ['test'], codeServerBuild: false },
  { check: 'rclone', label: 'rclone (offsite copies)', debian: 'rclone', goals: ['test'], codeServerBuild: false },
  { check: 'age', label: 'age (encrypted dumps)', debian: 'age', goals: ['test'], codeServerBuild: false },
  { check: 'gpg', label: 'GnuPG (encrypted dumps)', debian: 'gnupg', goals: ['test'], codeServerBuild: false },
  { check: 'pgbackrest', label: 'pgBackRest', debian: 'pgbackrest', goals: ['test'], codeServerBuild: false },
  { check: 'make', label: 'make', debian: 'build-essential', goals: ['test'], codeServerBuild: true },
  { check: 'g++', label: 'a C++ compiler (g++)', debian: 'build-essential', goals: ['test'], codeServerBuild: true },
  { check: 'python3', label: 'Python 3 (node-gyp)', debian: 'python3', goals: ['test'], codeServerBuild: true },
];

const DEBIAN_IDS = ['debian', 'ubuntu'];

/** @param {import('./setup-plan.d.mts').OsRelease | undefined} os */
export function isDebianLike(os) {
  if (!os) return false;
  return DEBIAN_IDS.includes(os.id) || os.idLike.some((id) => DEBIAN_IDS.includes(id));
}

/**
 * Parses /etc/os-release (`KEY=value`, values optionally quoted).
 * @param {string} text
 * @returns {import('./setup-plan.d.mts').OsRelease}
 */
export function parseOsRelease(text) {
  /** @type {Record<string, string>} */
  const fields = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) fields[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return {
    id: (fields.ID ?? '').toLowerCase(),
    idLike: (fields.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    prettyName: fields.PRETTY_NAME ?? fields.NAME ?? 'an unknown Linux',
  };
}

/**
 * The packages of package-lock.json that node_modules/.package-lock.json (the record npm keeps of what
 * it installed) lacks or has at another version, and those it has that the lock no longer lists. An
 * optional package may be absent: npm skips those built for other systems (esbuild's, for one).
 * @param {import('./setup-plan.d.mts').Lockfile} lock
 * @param {import('./setup-plan.d.mts').Lockfile} installed
 * @returns {string[]}
 */
export function staleDependencies(lock, installed) {
  const want = lock.packages ?? {};
  const have = installed.packages ?? {};
  const stale = [];
  for (const [key, entry] of Object.entries(want)) {
    if (key === '') continue;
    const got = have[key];
    if (!got) {
      if (!entry.optional) stale.push(key);
      continue;
    }
    if (got.version !== entry.version || got.integrity !== entry.integrity || got.resolved !== entry.resolved || Boolean(got.link) !== Boolean(entry.link)) {
      stale.push(key);
    }
  }
  for (const key of Object.keys(have)) if (key !== '' && !(key in want)) stale.push(key);
  return stale.map((key) => key.replace(/^.*node_modules\//, ''));
}

/** @param {string[]} names */
function list(names) {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * What to do, in order, or why setup must stop.
 * @param {import('./setup-plan.d.mts').Probe} probe
 * @returns {import('./setup-plan.d.mts').SetupPlan}
 */
export function planSetup(probe) {
  /** @type {import('./setup-plan.d.mts').SetupStep[]} */
  const steps = [];
  /** @type {string[]} */
  const notes = [];

  // The demo opens desktop VS Code when `code` is on PATH; code-server is for everyone else, and for the tests.
  const codeServerWanted = probe.goal === 'test' || !probe.desktopCode;
  const buildCodeServer = codeServerWanted && !probe.codeServer.cached;

  const missing = REQUIREMENTS.filter(
    (r) => !probe.found[r.check] && (r.goals.includes(probe.goal) || (r.codeServerBuild && buildCodeServer)),
  );
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((r) => r.debian))];
    const what = list(missing.map((r) => r.label));
    const debian = isDebianLike(probe.os) && probe.hasAptGet;
    if (debian && probe.isRoot) {
      steps.push({ kind: 'apt', packages });
    } else if (debian) {
      const command = `sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
      return {
        steps: [],
        notes,
        stop: `npm ${probe.goal === 'test' ? 'test' : 'run demo'} needs ${what}, which this machine lacks, and installing them needs root. Run:\n  ${command}\nthen run it again.`,
        command,
      };
    } else {
      const system = probe.os ? probe.os.prettyName : probe.platform;
      return {
        steps: [],
        notes,
        stop: `npm ${probe.goal === 'test' ? 'test' : 'run demo'} needs ${what}, which this machine lacks. Setup installs them only on Debian or Ubuntu (with apt-get), and this is ${system}: install them with its package manager (Debian's names: ${packages.join(', ')}), then run it again.`,
      };
    }
  }

  const deps = probe.dependencies;
  if (deps.state !== 'current') {
    const named = deps.stale.length > 3 ? `${deps.stale.slice(0, 3).join(', ')} and ${deps.stale.length - 3} more` : list(deps.stale);
    const why = deps.state === 'missing' ? 'not installed' : `out of date with package-lock.json (${named})`;
    if (deps.linkTarget !== undefined) {
      // Another checkout's packages: reinstalling them here would change that checkout too.
      notes.push(`node_modules links to ${deps.linkTarget}, whose packages are ${why}; not reinstalling them through the link: run npm ci there.`);
    } else {
      steps.push({ kind: 'npm-ci', reason: why });
    }
  }

  if (buildCodeServer) steps.push({ kind: 'code-server', version: probe.codeServer.version });
  return { steps, notes };
}
