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

/** The context key that completes a step. */
export function walkthroughContextKey(step: WalkthroughStep): string {
  return `pgBackup.walkthrough.${step}`;
}
