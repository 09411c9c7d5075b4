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

// ---------------------------------------------------------------------------------------------
// Recover Table As It Was

export type UndoMode = 'new-table' | 'missing-rows' | 'replace';
/** The panel's steps: the moment, the recovery on the side, how to bring it back, the report. */
export type UndoStep = 'moment' | 'recover' | 'bring' | 'report';

/** A transaction that changed the table, written for people. */
export interface UndoTransactionView {
  xid: string;
  /** `just before xid 745 — deleted 1,204 rows at 2026-12-01 15:47:03 UTC`. */
  label: string;
  atText: string;
  inserted: number;
  updated: number;
  deleted: number;
  outcome: 'committed' | 'aborted' | 'in-progress';
  /** Only committed transactions can be undone (an aborted one changed nothing, one in progress has no end). */
  pickable: boolean;
}

/** Step 1: from the archived WAL, the transactions in the window; without WAL, the newest dump with the table. */
export type UndoMomentView =
  | { kind: 'wal'; archive: string; segments: string; transactions: UndoTransactionView[]; notes: string[] }
  | { kind: 'dump'; why: string; dump?: { name: string; message: string }; notes: string[] };

export interface UndoComparisonView {
  /** Where the past version came from. */
  source: string;
  by: string;
  pastRows: number;
  liveRows: number;
  missing: number;
  differ: number;
  added: number;
  costMessage?: string;
  samples: { missing: string[]; differ: { then: string; now: string }[]; added: string[] };
  /** The name a new table would get. */
  newTable: string;
  /** When the scratch server is stopped unless something is done with it (ISO), and the bound in minutes. */
  expiresAt: string;
  holdMinutes: number;
  durationText: string;
}

export interface UndoPreviewView {
  mode: UndoMode;
  /** What the dry run did and rolled back, line by line. */
  lines: string[];
  /** replace: what applying would lose, for the confirmation. */
  loses?: string;
  /** The scratch server's timeout starts again after each step: when it now ends (ISO). */
  expiresAt: string;
}

export interface UndoReportView {
  mode: UndoMode;
  lines: string[];
  /** The new table, when one was made (`public.orders_as_of_20261201_154702`). */
  newTable?: string;
}

/** Recover Table webview → extension. */
export type FromUndo =
  | { type: 'ready' }
  | { type: 'list'; from: string; to: string }
  | { type: 'recover'; xid?: string }
  | { type: 'cancel' }
  | { type: 'discard' }
  | { type: 'preview'; mode: UndoMode }
  | { type: 'apply'; mode: UndoMode }
  | { type: 'openTable' }
  | { type: 'copyReport' };

/** Extension → Recover Table webview. */
export type ToUndo =
  | { type: 'init'; table: string; database: string; connection: string; from: string; to: string }
  | { type: 'busy'; step: UndoStep; message: string; cancellable: boolean }
  | { type: 'moment'; view: UndoMomentView }
  | { type: 'comparison'; view: UndoComparisonView }
  | { type: 'preview'; view: UndoPreviewView }
  | { type: 'report'; view: UndoReportView }
  | { type: 'discarded'; message: string }
  | { type: 'done'; message: string }
  | { type: 'error'; step: UndoStep; message: string };
