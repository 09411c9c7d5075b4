// Commands on plans: refresh the view.
import type { CommandTable } from '../commands';
import type { PlansProvider } from './tree';

export function planCommands(tree: PlansProvider) {
  return {
    'pgBackup.refreshPlans': { run: () => tree.refresh() },
  } satisfies Partial<CommandTable>;
}
