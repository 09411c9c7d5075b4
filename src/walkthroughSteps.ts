// The Get Started walkthrough's steps: each completes when the context key it names is set (package.json
// `completionEvents`), and src/walkthrough.ts sets that key when the thing itself has happened.
export const WALKTHROUGH_ID = 'pgBackup.getStarted';

/** Step id → what must be true for it to be done, in the order the walkthrough shows them. */
export const WALKTHROUGH_STEPS = {
  connection: 'a connection profile exists',
  dump: 'a dump is in a dump folder',
  contents: 'the contents of a dump were shown',
  verified: 'a dump passed its test restore',
  archive: 'a WAL archive location is configured',
  health: 'the Health view was shown',
  plan: 'a plan is in pgbackup.yaml',
} as const;

export type WalkthroughStep = keyof typeof WALKTHROUGH_STEPS;

/** The context key the extension sets once the step is done. */
export function walkthroughContextKey(step: WalkthroughStep): string {
  return `pgBackup.walkthrough.${step}`;
}

/**
 * The step's `completionEvents`. VS Code ticks a step when its expression turns true, but one already
 * true when the walkthrough is registered is spent for the session without ticking it, and the extension
 * may activate (workspaceContains) before that registration. So the key is paired with the Welcome
 * editor being active and not: whichever way the active editor changes later, one of them turns true.
 */
export function walkthroughCompletionEvents(step: WalkthroughStep): string[] {
  const key = walkthroughContextKey(step);
  return [`onContext:${key} && activeEditor == gettingStartedPage`, `onContext:${key} && activeEditor != gettingStartedPage`];
}
