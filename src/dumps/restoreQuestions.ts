// What the Restore command asks before it replaces chosen tables that already exist in the target.

export type ExistingTablesChoice = 'data' | 'recreate';

export interface Question {
  message: string;
  detail: string;
  /** The button that goes ahead; anything else (Escape, closing the dialog) stops the restore. */
  confirm: string;
}

/**
 * Both ways lose what is in the tables now, so both ask: TRUNCATE empties them, drop and recreate
 * also replaces their definition, grants and indexes with the dump's.
 */
export function existingTablesQuestion(choice: ExistingTablesChoice, names: string, database: string): Question {
  if (choice === 'data') {
    return {
      message: `Empty ${names} in ${database} (TRUNCATE) and load the dump's rows?`,
      detail: 'The rows there now are lost; the table definitions, grants and dependent objects are kept.',
      confirm: 'Truncate and load',
    };
  }
  return {
    message: `Drop ${names} in ${database} and recreate them from the dump?`,
    detail:
      'The rows there now are lost, and the definitions, indexes, constraints and grants become the dump\'s. The restore runs in one transaction: if it fails, the tables are left as they were.',
    confirm: 'Drop and recreate',
  };
}
