// The archiver's failed counts over time, kept in a file between polls: the same format for
// `pgbr status --state FILE` and the editor's Health view, so a failures chart survives restarts.
import * as fs from 'node:fs/promises';
import { errorMessage } from '../platform/errors';
import { writeFileAtomic } from '../platform/fsutil';
import { POLL_HISTORY_MS, type ArchiverPoll } from './activity';

export interface PollState {
  stateVersion: 1;
  /** Which server the polls are of: a state file reused for another one starts over. */
  connection: string;
  polls: ArchiverPoll[];
}

/** The polls of `identity` in the file; a missing file is none, anything unusable a note and none. */
export async function readPollHistory(file: string, identity: string, notes: string[]): Promise<ArchiverPoll[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') notes.push(`cannot read the state file ${file}: ${errorMessage(e)}`);
    return [];
  }
  try {
    const state = JSON.parse(text) as Partial<PollState>;
    if (state.stateVersion !== 1 || !Array.isArray(state.polls)) throw new Error('not a pgbr status state file');
    if (state.connection !== identity) {
      notes.push(`the state file ${file} is of ${state.connection ?? 'another server'}: starting over for ${identity}`);
      return [];
    }
    return state.polls.filter((p) => typeof p.failedCount === 'number' && !Number.isNaN(new Date(p.at).getTime()));
  } catch (e) {
    notes.push(`the state file ${file} cannot be used (${errorMessage(e)}): it is replaced`);
    return [];
  }
}

/** Writes the polls atomically (a reader never sees half a file); a failure is a note. */
export async function writePollHistory(file: string, identity: string, polls: readonly ArchiverPoll[], notes: string[]): Promise<void> {
  const state: PollState = { stateVersion: 1, connection: identity, polls: [...polls] };
  try {
    await writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n');
  } catch (e) {
    notes.push(`cannot write the state file ${file}: ${errorMessage(e)}`);
  }
}

/** The polls within the history window before `now`, the new one last. */
export function withPoll(polls: readonly ArchiverPoll[], current: ArchiverPoll, now: Date): ArchiverPoll[] {
  return [...polls, current].filter((p) => now.getTime() - new Date(p.at).getTime() <= POLL_HISTORY_MS);
}
