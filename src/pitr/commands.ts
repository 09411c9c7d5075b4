// "Point-in-time recovery…": opens the generator, from the palette or a base backup in the WAL Archive view.
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { PitrPanel } from './panel';

export function pitrCommands(ctx: Ctx) {
  return {
    'pgBackup.openPitr': { run: (defaults) => PitrPanel.show(ctx, defaults ?? {}) },
  } satisfies Partial<CommandTable>;
}
