// Retention: which of a plan's backups a GFS policy keeps (borg prune 1.2's rules), the WAL no kept backup needs, and removing the rest.
export { previewPrune, prune, type PrunePreview, type PruneResult } from './prune';
export { type KeepRules, parseWithin } from './rules';
