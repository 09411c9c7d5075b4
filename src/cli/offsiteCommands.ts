// `pgbr offsite push|verify|list|pull`: copies of dumps on any remote rclone knows, checked against their manifests.
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { formatBytes, abortOnSignals, printable } from '../core/platform';
import { listRemote, parseRemote, pullDump, pushDump, verifyCopy, type RcloneOptions } from '../core/offsite';
import { jsonOption, workspaceOption } from './commands';
import type { CliContext, Io } from './io';
import { Exit, makeOutput, table } from './output';
import { stderrLogger, verboseOption } from './shared';

interface OffsiteOptions {
  workspace: string;
  json?: boolean;
  verbose?: boolean;
  rcloneConfig?: string;
}

const rcloneConfigOption = (): Option => new Option('--rclone-config <file>', "rclone's config file, when it is not where rclone looks by default (RCLONE_CONFIG works too)");

function rcloneOptions(opts: OffsiteOptions, io: Io, signal: AbortSignal): RcloneOptions {
  const logger = stderrLogger(io, opts.verbose);
  return { signal, ...(logger ? { logger } : {}), ...(opts.rcloneConfig ? { config: path.resolve(opts.workspace, opts.rcloneConfig) } : {}) };
}

/** Runs one offsite action with Ctrl-C stopping rclone, its errors printed as one line or a JSON document. */
async function withInterrupt(opts: OffsiteOptions, io: Io, body: (rc: RcloneOptions) => Promise<number>): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    return await body(rcloneOptions(opts, io, interrupt.signal));
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

export function pushCommand(dump: string, opts: OffsiteOptions & { to: string }, io: Io): Promise<number> {
  return withInterrupt(opts, io, async (rc) => {
    const remote = parseRemote(opts.to, opts.workspace);
    const pushed = await pushDump(path.resolve(opts.workspace, dump), remote, rc);
    makeOutput(!!opts.json, io.out, io.err).result({ pushed }, () => `Copied ${dump} (${formatBytes(pushed.bytes)}) and its manifest to ${pushed.remotePath}\nnote: check the copy with pgbr offsite verify ${dump} --to ${pushed.target}`);
    return Exit.Ok;
  });
}

export function verifyCommand(dump: string, opts: OffsiteOptions & { to: string }, io: Io): Promise<number> {
  return withInterrupt(opts, io, async (rc) => {
    const remote = parseRemote(opts.to, opts.workspace);
    const v = await verifyCopy(path.resolve(opts.workspace, dump), remote, rc);
    makeOutput(!!opts.json, io.out, io.err).result({ verified: v }, () => {
      if (!v.ok) return v.problems.map((p) => `DIFFERS: ${printable(p)}`).join('\n');
      const how = v.files.some((f) => f.method === 'download') ? 'read back, as the remote keeps no sha256' : "by the remote's own sha256";
      return `The copy at ${v.remotePath} matches its manifest: ${v.files.length} file${v.files.length === 1 ? '' : 's'} checked ${how}.`;
    });
    return v.ok ? Exit.Ok : Exit.Problem;
  });
}

export function listCommand(opts: OffsiteOptions & { to: string }, io: Io): Promise<number> {
  return withInterrupt(opts, io, async (rc) => {
    const listing = await listRemote(parseRemote(opts.to, opts.workspace), rc);
    makeOutput(!!opts.json, io.out, io.err).result(listing, () => {
      if (listing.dumps.length === 0) return `Nothing at ${listing.target} yet.`;
      const rows = [['DUMP', 'SIZE', 'FILES', 'MANIFEST'], ...listing.dumps.map((d) => [printable(d.name), formatBytes(d.sizeBytes), String(d.files), d.manifest ? 'yes' : 'missing'])];
      const notes = [
        ...listing.orphanManifests.map((m) => `note: ${printable(m)}.manifest.json has no dump beside it`),
        ...listing.partials.map((p) => `note: ${printable(p)} is a copy that was cut off; push that dump again`),
      ];
      return [table(rows), ...notes].join('\n');
    });
    return Exit.Ok;
  });
}

export function pullCommand(dump: string, opts: OffsiteOptions & { from: string; out: string }, io: Io): Promise<number> {
  return withInterrupt(opts, io, async (rc) => {
    const remote = parseRemote(opts.from, opts.workspace);
    const logger = stderrLogger(io, opts.verbose);
    const pulled = await pullDump(dump, remote, path.resolve(opts.workspace, opts.out), { ...rc, ...(logger ? { logger } : {}) });
    makeOutput(!!opts.json, io.out, io.err).result({ pulled: { path: pulled.path, from: pulled.from, ...(pulled.requestedPath ? { requestedPath: pulled.requestedPath } : {}) } }, () => {
      const taken = pulled.requestedPath ? `\nnote: ${pulled.requestedPath} was taken, so the copy is named ${path.basename(pulled.path)}` : '';
      return `Pulled ${pulled.from} to ${pulled.path}: every file matches its manifest's sha256.${taken}\nnote: prove it restores with pgbr verify ${pulled.path} --conn NAME`;
    });
    return Exit.Ok;
  });
}

export function addOffsiteCommands(program: Command, { io, exit }: CliContext): void {
  const offsite = program.command('offsite').description('copies of dumps on a remote rclone knows (S3, GCS, Azure, SFTP, WebDAV, a folder), checked against their manifests');
  const common = (c: Command) => c.addOption(workspaceOption()).addOption(jsonOption()).addOption(rcloneConfigOption()).addOption(verboseOption());
  common(
    offsite
      .command('push <dump>')
      .description("copy a dump's file(s), then its manifest, to a remote folder (name:path, :backend,key=value:path or a folder)")
      .requiredOption('--to <remote>', 'the remote folder; keys belong in rclone.conf or its environment'),
  ).action(async (dump: string, opts: OffsiteOptions & { to: string }) => exit(await pushCommand(dump, opts, io)));
  common(
    offsite
      .command('verify <dump>')
      .description("compare the copy's sha256 with the dump's manifest (the remote's own hash, or read back); exit 1 naming any file that differs")
      .requiredOption('--to <remote>', 'the remote folder the dump was pushed to'),
  ).action(async (dump: string, opts: OffsiteOptions & { to: string }) => exit(await verifyCommand(dump, opts, io)));
  common(offsite.command('list').description('the dumps in a remote folder, their sizes and whether their manifests are there').requiredOption('--to <remote>', 'the remote folder')).action(
    async (opts: OffsiteOptions & { to: string }) => exit(await listCommand(opts, io)),
  );
  common(
    offsite
      .command('pull <dump>')
      .description("download a dump and its manifest into a folder, checking every sha256 before it gets its name")
      .requiredOption('--from <remote>', 'the remote folder')
      .requiredOption('--out <dir>', 'the local folder to put it in'),
  ).action(async (dump: string, opts: OffsiteOptions & { from: string; out: string }) => exit(await pullCommand(dump, opts, io)));
}
