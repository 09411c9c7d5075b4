// `pgbr doctor`: what a server needs for its plans, and whether it has it. The facts are gathered by the
// caller; here they become one finding per check, each with what to do when it is not ok.
import type { FoundTool, ToolInventory } from '../platform';
import type { Plan } from './config';

type ToolName = FoundTool['name'];

export type FindingStatus = 'ok' | 'warn' | 'fail';

export interface Finding {
  /** What was checked, short and stable: `tools`, `pg_dump for nightly`, `scheduler`, `folder of nightly`. */
  check: string;
  status: FindingStatus;
  message: string;
  fix?: string;
}

/** Programs other than the PostgreSQL client tools that plans or schedules run. */
export const DOCTOR_PROGRAMS = ['systemctl', 'systemd-analyze', 'crontab', 'flock', 'rclone', 'age', 'gpg', 'pgbackrest'] as const;
export type DoctorProgram = (typeof DOCTOR_PROGRAMS)[number];

/** What one plan runs: the client tools (checked against its server's major), other programs, the folder it writes. */
export interface PlanNeeds {
  plan: string;
  connection: string;
  tools: ToolName[];
  programs: { program: DoctorProgram; why: string }[];
}

export function planNeeds(plan: Pick<Plan, 'name' | 'connection' | 'backup' | 'format' | 'verify' | 'encrypt' | 'offsite'>): PlanNeeds {
  const verifies = plan.verify !== 'never';
  const tools: ToolName[] =
    plan.backup === 'dump' ? ['pg_dump', ...(verifies ? [plan.format === 'plain' ? ('psql' as const) : ('pg_restore' as const)] : [])]
    : plan.backup === 'globals' ? ['pg_dumpall', ...(verifies ? ['psql' as const] : [])]
    : plan.backup === 'basebackup' ? ['pg_basebackup', ...(verifies ? ['pg_verifybackup' as const] : [])]
    : [];
  const programs: PlanNeeds['programs'] = [];
  if (plan.backup === 'pgbackrest') programs.push({ program: 'pgbackrest', why: 'its backups are taken by pgBackRest' });
  const recipients = plan.encrypt ?? [];
  if (recipients.some((r) => /^age1/i.test(r))) programs.push({ program: 'age', why: 'it encrypts to age recipients' });
  if (recipients.some((r) => /^gpg:/i.test(r))) programs.push({ program: 'gpg', why: 'it encrypts to GPG keys' });
  if (plan.offsite?.length) programs.push({ program: 'rclone', why: 'it copies offsite' });
  return { plan: plan.name, connection: plan.connection, tools, programs };
}

/** A folder's state for writing: `ok`, created on first use from a writable parent, or why not. */
export type FolderAccess = { writable: true; exists: boolean } | { writable: false; problem: string };

export interface ReadinessFacts {
  inventory: ToolInventory;
  /** Each program's path on PATH, absent when it is not there. */
  programs: Partial<Record<DoctorProgram, string>>;
  /** The loaded plans of pgbackup.yaml: none when it has none, or there is no such file. */
  plans: PlanNeeds[];
  /** Problems that kept plans from loading, each with its position. */
  planProblems: string[];
  /** The server major of each plan's connection, or why it could not be read. */
  servers: Record<string, { major: number } | { problem: string }>;
  /** The folders plans write (backups, journal and lock side by side), by plan. */
  folders: { plan: string; folder: string; access: FolderAccess }[];
  workspace: string;
}

const PACKAGES: Partial<Record<DoctorProgram, string>> = {
  'systemd-analyze': 'systemd',
  systemctl: 'systemd',
  crontab: 'cron',
  flock: 'util-linux',
  rclone: 'rclone',
  age: 'age',
  gpg: 'gnupg',
  pgbackrest: 'pgbackrest',
};

export function readinessFindings(facts: ReadinessFacts): Finding[] {
  return [...toolFindings(facts), ...schedulerFindings(facts), ...planFindings(facts)];
}

function toolFindings({ inventory }: ReadinessFacts): Finding[] {
  const majors = inventory.installs.map((i) => i.major);
  const findings: Finding[] = majors.length
    ? [{ check: 'tools', status: 'ok', message: `PostgreSQL client tools found for major ${[...new Set(majors)].join(', ')}.` }]
    : [{ check: 'tools', status: 'fail', message: 'No PostgreSQL client tools (pg_dump, pg_restore, psql) were found.', fix: 'install postgresql-client (or the version your servers run), or pass --bin-path' }];
  for (const problem of inventory.problems) findings.push({ check: 'tools', status: 'warn', message: problem });
  return findings;
}

function schedulerFindings({ programs, plans }: ReadinessFacts): Finding[] {
  const systemd = programs.systemctl;
  const cron = programs.crontab;
  const findings: Finding[] = [];
  if (!systemd && !cron) {
    findings.push({
      check: 'scheduler',
      status: plans.length ? 'fail' : 'warn',
      message: 'Neither systemctl nor crontab is on PATH: pgbr schedule cannot install a timer or a crontab line.',
      fix: 'install cron (apt-get install cron), or run on a machine with systemd',
    });
    return findings;
  }
  findings.push({ check: 'scheduler', status: 'ok', message: `${[systemd ? `systemd (${systemd})` : '', cron ? `cron (${cron})` : ''].filter(Boolean).join(' and ')} can run plans: pgbr schedule PLAN --${systemd ? 'systemd' : 'cron'} --install.` });
  if (systemd && !programs['systemd-analyze']) {
    findings.push({ check: 'scheduler', status: 'warn', message: 'systemd-analyze is not on PATH: schedules are checked by pgbr only, not by systemd.', fix: 'install systemd (it ships systemd-analyze)' });
  }
  if (cron && !systemd && !programs.flock) {
    findings.push({ check: 'scheduler', status: 'fail', message: 'flock is not on PATH, and the crontab lines pgbr writes run each plan under flock -n.', fix: 'install util-linux' });
  }
  return findings;
}

function planFindings(facts: ReadinessFacts): Finding[] {
  const findings: Finding[] = facts.planProblems.map((message) => ({ check: 'plans', status: 'fail', message, fix: 'fix the plan in pgbackup.yaml (pgbr plans lists the problems)' }));
  if (!facts.plans.length) {
    if (!facts.planProblems.length) findings.push({ check: 'plans', status: 'warn', message: `No plans are configured in ${facts.workspace}: only the tools and scheduling were checked.`, fix: 'add a plans: list to pgbackup.yaml, or run pgbr doctor --workspace DIR' });
    return findings;
  }
  for (const needs of facts.plans) {
    const server = facts.servers[needs.connection];
    for (const name of needs.tools) findings.push(toolFor(facts.inventory, name, needs, server));
    for (const { program, why } of needs.programs) {
      const found = facts.programs[program];
      findings.push(
        found
          ? { check: `${program} for ${needs.plan}`, status: 'ok', message: `${program} (${found}) is there: plan ${needs.plan} needs it, since ${why}.` }
          : { check: `${program} for ${needs.plan}`, status: 'fail', message: `${program} is not on PATH, and plan ${needs.plan} needs it: ${why}.`, fix: `install ${PACKAGES[program] ?? program}` },
      );
    }
  }
  for (const { plan, folder, access } of facts.folders) {
    findings.push(
      access.writable
        ? { check: `folder of ${plan}`, status: 'ok', message: `${folder} ${access.exists ? 'is writable' : 'will be created on the first run (its parent is writable)'}: plan ${plan} keeps its backups, journal and lock there.` }
        : { check: `folder of ${plan}`, status: 'fail', message: `plan ${plan} cannot write ${folder} (its backups, journal and lock): ${access.problem}.`, fix: `create it and give the user the plan runs as write access (chown), or set folder: in pgbackup.yaml` },
    );
  }
  return findings;
}

/** The tool a plan runs, for its server's major: the lowest installed major at least the server's, as backups choose it. */
function toolFor(inventory: ToolInventory, name: ToolName, needs: PlanNeeds, server: ReadinessFacts['servers'][string] | undefined): Finding {
  const check = `${name} for ${needs.plan}`;
  const found = inventory.installs.map((i) => i.tools[name]).filter((t): t is FoundTool => t !== undefined);
  if (!server || 'problem' in server) {
    const why = server ? server.problem : 'it was not asked';
    if (!found.length) return { check, status: 'fail', message: `${name} is not installed, and plan ${needs.plan} runs it.`, fix: 'install the PostgreSQL client tools of your server\'s version, or pass --bin-path' };
    const newest = found.reduce((a, b) => (b.major > a.major ? b : a));
    return { check, status: 'warn', message: `connection ${needs.connection} of plan ${needs.plan} did not answer (${why}): ${name} ${newest.major} is there, but whether it fits the server is unknown.`, fix: `check that the connection works: pgbr status --conn ${needs.connection}` };
  }
  const fit = found.filter((t) => t.major >= server.major).sort((a, b) => a.major - b.major)[0];
  if (fit) return { check, status: 'ok', message: `${name} ${fit.version} (${fit.path}) can serve plan ${needs.plan} on its PostgreSQL ${server.major} server.` };
  const newest = found.length ? Math.max(...found.map((t) => t.major)) : undefined;
  return {
    check,
    status: 'fail',
    message: newest === undefined ? `${name} is not installed, and plan ${needs.plan} runs it against a PostgreSQL ${server.major} server.` : `${name} ${newest} is older than the PostgreSQL ${server.major} server of plan ${needs.plan}.`,
    fix: `install postgresql-client-${server.major}, or pass --bin-path to its bin folder`,
  };
}

/** Non-zero when anything failed: for cron, monitoring and provisioning scripts. */
export function readinessFailed(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.status === 'fail');
}
