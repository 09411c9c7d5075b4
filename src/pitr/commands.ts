// "Point-in-time recovery…": opens the generator, from the palette or a base backup in the WAL Archive view.
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import type { PitrForm } from '../../webview/protocol';
import { BaseBackupRecordNode } from '../archive/nodes';
import { PitrPanel } from './panel';

export function pitrCommands(ctx: Ctx) {
  return {
    'pgBackup.openPitr': (arg?: unknown) => {
      const defaults: Partial<PitrForm> =
        arg instanceof BaseBackupRecordNode
          ? { baseBackup: arg.entry.path }
          : typeof arg === 'object' && arg !== null
            ? (arg)
            : {};
      return PitrPanel.show(ctx, defaults);
    },
  } satisfies Partial<CommandTable>;
}
