// Types of setup-plan.mjs, for its unit test.

export type SetupGoal = 'test' | 'demo';

/** Something the tests or the demo need from the system, as setup.mjs looks for it. */
export type Check = 'postgres' | 'chromium' | 'libkrb5-dev' | 'systemd-analyze' | 'rclone' | 'age' | 'gpg' | 'pgbackrest' | 'make' | 'g++' | 'python3';

export interface Requirement {
  check: Check;
  label: string;
  /** The Debian (and Ubuntu) package that brings it. */
  debian: string;
  goals: readonly SetupGoal[];
  /** Needed to build code-server's native modules. */
  codeServerBuild: boolean;
}

export interface OsRelease {
  id: string;
  idLike: string[];
  prettyName: string;
}

/** The parts of a package-lock.json (or node_modules/.package-lock.json) that are compared. */
export interface Lockfile {
  packages?: Record<string, { version?: string; integrity?: string; resolved?: string; link?: boolean; optional?: boolean }>;
}

/** What setup.mjs found on the machine. */
export interface Probe {
  goal: SetupGoal;
  /** process.platform, named when there is no /etc/os-release. */
  platform: string;
  os: OsRelease | undefined;
  hasAptGet: boolean;
  isRoot: boolean;
  found: Record<Check, boolean>;
  /** `code` is on PATH and PGBR_DEMO_WEB is not 1: the demo opens desktop VS Code instead of code-server. */
  desktopCode: boolean;
  codeServer: { version: string; cached: boolean };
  dependencies: {
    state: 'current' | 'missing' | 'stale';
    /** Packages that differ from package-lock.json, when stale. */
    stale: string[];
    /** Where node_modules points, when it is a symbolic link. */
    linkTarget?: string;
  };
}

export type SetupStep =
  | { kind: 'apt'; packages: string[] }
  | { kind: 'npm-ci'; reason: string }
  | { kind: 'code-server'; version: string };

export interface SetupPlan {
  steps: SetupStep[];
  /** Printed, setup goes on. */
  notes: string[];
  /** Printed, setup exits non-zero without doing anything. */
  stop?: string;
  /** The one command that would let setup go on, when there is one. */
  command?: string;
}

export const REQUIREMENTS: readonly Requirement[];
export function isDebianLike(os: OsRelease | undefined): boolean;
export function parseOsRelease(text: string): OsRelease;
export function staleDependencies(lock: Lockfile, installed: Lockfile): string[];
export function planSetup(probe: Probe): SetupPlan;
