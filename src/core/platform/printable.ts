// Text from outside (object names, server and tool messages) made safe to print: a control character is shown as an escape, so a name cannot fake an output line.

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\0': '\\0' };

/** C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `a\nb` for a name holding a newline, `\x1b[31m` for an escape sequence, `\u2028` for a line
 * separator; everything else (quotes, dots, backslashes, any other Unicode) is left exactly as it is.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Each line of a multi-line text made printable, the line breaks between them kept. */
export function printableLines(lines: readonly string[]): string {
  return lines.map(printable).join('\n');
}
