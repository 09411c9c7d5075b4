// "Show health": opens the Health view, optionally for a given connection, and returns the fresh snapshot.
import type { CommandTable } from '../commands';
import type { HealthMonitor } from './monitor';
import type { HealthViewProvider } from './view';

export function healthCommands(monitor: HealthMonitor, view: HealthViewProvider) {
  return {
    'pgBackup.showHealth': {
      run: async (name) => {
        await view.reveal();
        return name ? monitor.select(name) : monitor.pollNow();
      },
    },
  } satisfies Partial<CommandTable>;
}
