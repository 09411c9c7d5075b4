// Words for a POSIX shell: commands shown to be pasted, and commands PostgreSQL hands to /bin/sh.

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators: what shellWord writes as `$'…'`. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');

/** Whether shellWord would need `$'…'` for the text, which only bash, ksh and zsh read (not dash, Debian's /bin/sh). */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/** The text with every control character replaced by a space: for comments and one-line summaries. */
export function controlsAsSpaces(text: string): string {
  return text.replace(CONTROL_ALL, ' ');
}

/**
 * One word for a POSIX shell: bare when safe, else in single quotes, and in `$'…'` when it holds a
 * control character, so a newline in a table name shows as `\n` instead of breaking the line.
 */
export function shellWord(word: string): string {
  if (word === '') return "''";
  if (SHELL_SAFE.test(word)) return word;
  // `"dbname='shop'"` reads better than `'dbname='\''shop'\'''`, and means the same to a shell.
  if (!CONTROL.test(word) && word.includes("'") && !/["$`\\!]/.test(word)) return `"${word}"`;
  if (!CONTROL.test(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  const escaped = [...word]
    .map((c) => {
      if (c === '\\') return '\\\\';
      if (c === "'") return "\\'";
      if (!CONTROL.test(c)) return c;
      const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
      const code = c.codePointAt(0) ?? 0;
      return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
    })
    .join('');
  return `$'${escaped}'`;
}

/** Always in single quotes, each single quote closed, escaped and reopened: for a command that /bin/sh runs, such as restore_command. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
