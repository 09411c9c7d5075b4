// The typed messages between the extension and its webviews, imported by both sides.

export type CheckStatus = 'pass' | 'warn' | 'fail';
export type OverallState = 'ok' | 'lagging' | 'failing' | 'unknown';

/** What the Health view shows: already formatted for people, so the webview only lays it out. */
export interface HealthModel {
  connection: string;
  /** When the numbers were read (ISO). */
  polledAt: string;
  /** The same, for people: `today 19:19:05 UTC+1`. */
  polledText: string;
  overall: OverallState;
  /** One line under the title: why the state is what it is. */
  headline: string;
  /** What is missing for a recovery although archiving works (no base backup): the banner is then not green. */
  missing?: string;
  settings: { name: string; value: string }[];
  archiver: { name: string; value: string; emphasis?: 'bad' | 'good' }[];
  lag: { name: string; value: string; emphasis?: 'bad' | 'good' }[];
  objectives: { name: string; achieved: string; target: string; status: CheckStatus | 'none' }[];
  checklist: { title: string; status: CheckStatus; detail: string; fix?: string }[];
  /** The last 24 hours, oldest first, by local start (`19:00`): segments archived (from the archive folder) and failures (from polls). */
  chart: { hour: string; archived: number; failed: number }[];
  /** The top of the chart's scale: a round number at or above the busiest hour. */
  chartMax: number;
  chartNote: string;
}

/** Webview → extension. */
export type FromHealth =
  | { type: 'ready' }
  | { type: 'selectConnection'; name: string }
  | { type: 'refresh' };

/** Extension → Health webview. */
export type ToHealth =
  | { type: 'connections'; names: string[]; selected?: string; pollSeconds: number }
  | { type: 'loading'; connection: string }
  | { type: 'health'; model: HealthModel }
  | { type: 'error'; connection: string; message: string }
  | { type: 'empty'; message: string };

/** What the webview keeps across reloads (vscode.setState). */
export interface HealthWebviewState {
  selected?: string;
  last?: ToHealth;
  /** How far the view was scrolled. */
  scrollY?: number;
}

// ---------------------------------------------------------------------------------------------
// PITR generator

export type PitrTargetKind = 'latest' | 'immediate' | 'time' | 'lsn' | 'xid' | 'name';

/** Everything the user typed or picked; kept by the webview across reloads. */
export interface PitrForm {
  /** Where the backup comes from: a pg_basebackup folder, or a pgBackRest stanza (restored with pgbackrest restore). */
  source: 'baseBackup' | 'backrest';
  baseBackup: string;
  /** pgBackRest: the stanza, and a backup label ('' lets the target choose the set). */
  stanza: string;
  backrestSet: string;
  /** pgBackRest: the person agreed that a non-empty data directory is overwritten where it differs (--delta). */
  delta: boolean;
  /** pgBackRest: databases to restore (--db-include), comma-separated; '' restores the whole cluster. */
  dbInclude: string;
  archive: string;
  restoreKind: 'copy' | 'custom';
  customTemplate: string;
  targetKind: PitrTargetKind;
  targetTime: string;
  targetZone: string;
  targetLsn: string;
  targetXid: string;
  targetName: string;
  inclusive: boolean;
  timeline: string;
  action: 'pause' | 'promote' | 'shutdown';
  dataDir: string;
  /** Once promoted: archive_mode = off (the default), or archive with `archiveCommand`. */
  archiving: 'off' | 'keep';
  archiveCommand: string;
}

/** A form before anything is chosen: what the page starts from, and fills in for fields a saved state lacks. */
export const EMPTY_PITR_FORM: PitrForm = {
  source: 'baseBackup',
  baseBackup: '',
  stanza: '',
  backrestSet: '',
  delta: false,
  dbInclude: '',
  archive: '',
  restoreKind: 'copy',
  customTemplate: '',
  targetKind: 'latest',
  targetTime: '',
  targetZone: 'UTC',
  targetLsn: '',
  targetXid: '',
  targetName: '',
  inclusive: true,
  timeline: 'latest',
  action: 'pause',
  dataDir: '',
  archiving: 'off',
  archiveCommand: '',
};

export type PitrStep = 'backup' | 'source' | 'target' | 'dataDir';

export interface PitrChoices {
  baseBackups: { path: string; label: string; detail: string }[];
  /** The stanzas of repositories: in pgbackup.yaml. */
  stanzas: { stanza: string; label: string }[];
  archives: { path: string; label: string }[];
  restorePoints: { name: string; detail: string }[];
  templates: { label: string; template: string }[];
  zones: string[];
}

export interface PitrDrillReport {
  status: 'reached' | 'ended-early' | 'failed';
  message: string;
  recoveredLsn?: string;
  /** The last replayed commit's time, written for people. */
  recoveredTime?: string;
  timeline?: number;
  stopLine?: string;
  tables: { name: string; rows: string }[];
  durationText: string;
  logTail: string[];
}

/** PITR webview → extension. */
export type FromPitr =
  | { type: 'ready' }
  | { type: 'validate'; step: PitrStep; form: PitrForm }
  | { type: 'browse'; field: 'baseBackup' | 'archive' | 'dataDir' }
  | { type: 'apply'; form: PitrForm }
  | { type: 'copyText'; form: PitrForm }
  | { type: 'drill'; form: PitrForm };

/** Extension → PITR webview. */
export type ToPitr =
  | { type: 'init'; choices: PitrChoices; defaults: Partial<PitrForm> }
  /** A step's verdict; with `field`, the message is about that input and is shown beside it. */
  | { type: 'validation'; step: PitrStep; ok: boolean; message: string; details: string[]; field?: keyof PitrForm }
  | { type: 'browsed'; field: 'baseBackup' | 'archive' | 'dataDir'; path: string }
  | { type: 'preview'; settings: string[]; changes: { file: string; action: string; detail: string; before?: string; after?: string }[]; warnings: string[] }
  | { type: 'done'; message: string }
  | { type: 'busy'; message: string }
  | { type: 'drillReport'; report: PitrDrillReport }
  | { type: 'error'; message: string };

export interface PitrWebviewState {
  form: PitrForm;
  passed: PitrStep[];
}
