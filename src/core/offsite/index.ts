// Offsite copies through rclone: remotes, push and verify against the manifest, listing, pull.
export { type PushResult, pushDump, type VerifyResult, verifyCopy } from './copies';
export { listRemote, type RemoteListing } from './listing';
export { pullDump, type PullResult } from './pull';
export type { RcloneOptions } from './rclone';
export { describeCopies } from './record';
export { type OffsiteRemote, parseRemote } from './remote';
