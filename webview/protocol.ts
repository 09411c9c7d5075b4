// The typed messages between the extension and its webviews, imported by both sides.

export type CheckStatus = 'pass' | 'warn' | 'fail';
export type OverallState = 'ok' | 'lagging' | 'failing' | 'unknown';

/** What the Health view shows: already formatted for people, so the webview only lays it out. */
export interface HealthModel {
  connection: string;
  /** When the numbers were read (ISO). */
  polledAt: string;
  overall: OverallState;
  /** One line under the title: why the state is what it is. */
  headline: string;
  settings: { name: string; value: string }[];
  archiver: { name: string; value: string; emphasis?: 'bad' | 'good' }[];
  lag: { name: string; value: string; emphasis?: 'bad' | 'good' }[];
  objectives: { name: string; achieved: string; target: string; status: CheckStatus | 'none' }[];
  checklist: { title: string; status: CheckStatus; detail: string; fix?: string }[];
  /** The last 24 hours, oldest first: segments archived (from the archive folder) and failures (from polls). */
  chart: { hour: string; archived: number; failed: number }[];
  chartNote: string;
}

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'selectConnection'; name: string }
  | { type: 'refresh' };

/** Extension → Health webview. */
export type ToHealthWebview =
  | { type: 'connections'; names: string[]; selected?: string; pollSeconds: number }
  | { type: 'loading'; connection: string }
  | { type: 'health'; model: HealthModel }
  | { type: 'error'; connection: string; message: string }
  | { type: 'empty'; message: string };

/** What the webview keeps across reloads (vscode.setState). */
export interface HealthWebviewState {
  selected?: string;
  last?: ToHealthWebview;
}
