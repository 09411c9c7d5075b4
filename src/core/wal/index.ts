// The archived WAL: segment names, timelines and their history, scanning an archive folder, gaps and the recoverable window.
export type { BackupWindow, KnownBaseBackup, RecoverableWindow, SegmentRun, WindowPoint } from './check';
export { addArchiveToYaml, archiveFolderFromCommand, archiveForConnection, type ArchiveLocation, parseArchiveLocations, parseSegmentSize } from './locations';
export { formatSize, parseWalFileName, segmentName, segmentNumber } from './names';
export { type ArchiveProblem, type ArchiveScan, readBackupHistories, scanArchive, type TimelineSummary } from './scan';
