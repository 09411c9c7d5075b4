// Logical backups: pg_dump runs and their manifests, the table of contents of a dump, restores of a whole dump or one table, verification, globals.
export { type CatalogEntry, listDumps, verificationState } from './catalog';
export { type DumpResult, runDump } from './dump';
export { type Decryption } from './encryptedDump';
export { runGlobalsDump } from './globals';
export { quickDamage } from './integrity';
export { type DumpFormat, type DumpManifest, manifestPathFor, readManifest, verifyReportPathFor } from './manifest';
export { DEFAULT_NAME_TEMPLATE, takenNameNote } from './naming';
export { DUMP_OPTION_HELP, type DumpContentOptions, type DumpSection, validateDumpOptions } from './options';
export { describeDumpProgress, dumpFraction } from './outputSize';
export { previewDump } from './preview';
export type { DumpProgress } from './progress';
export { type RestoreOptions, type RestoreProgress, type RestoreResult, runRestore } from './restore';
export { RESTORE_OPTION_HELP, type RestoreChoices, validateRestore } from './restoreOptions';
export { previewRestore } from './restorePreview';
export { describeTruncateBlockers, isSameDatabase, truncateBlockers } from './restoreTarget';
export { BUILT_TOC_READER, compactTree, type CompactTocTree, detectDumpFormat, indexWrittenDump, type WrittenToc, dumpedByMajor, groupToc, indexedDamage, indexedTree, readToc, readTocHeader, readTocIndex, writeTocIndex, type Toc, type TocEntry, type TocSchema, type TocTable, type TocTree } from './toc';
export { leftOutForeignKeyLine, uncheckedForeignKeys, verifyDump, type VerifyReport } from './verify';
export { verifyGlobals, isGlobalsDump, scratchScript, SCRATCH_SUPERUSER, type GlobalsVerifyReport } from './verifyGlobals';
