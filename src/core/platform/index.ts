// What every capability stands on: running programs (and making sure none outlives pgbr), finding the tools, partial files, errors, logs, and how sizes, durations and times read.
export { formatBytes } from './bytes';
export { formatDuration } from './duration';
export { errorMessage, isCancellation, PgbrError, usageError, type PgbrErrorKind } from './errors';
export { lastPathPart, pathsOutside, writeFileAtomic } from './fsutil';
export { describeLeftovers, type DrillFolderLeftover, dropScratchDatabases, findDrillLeftovers, findScratchDatabases, type ScratchDatabaseLeftover, sweepDeadRuns } from './leftovers';
export type { Logger } from './log';
export { findPartials, type PartialLeftover, removePartial } from './partials';
export { plural } from './plural';
export { printable, printableLines } from './printable';
export { abortOnSignals, tempRoot } from './reaper';
export { formatCommandLine } from './runner';
export { shellWord } from './shell';
export { cacheFolder } from './toolVersionCache';
export { chooseTool, discoverTools, type FoundTool, TOOL_NAMES, type ToolInventory } from './tools';
export { formatAge, formatLocal, formatStamp, formatWhen, type WhenOptions } from './when';
