// pgBackRest's config file as sections of lines: what merging a stanza into it needs, with every line it does not touch kept byte for byte.

export interface IniSection {
  /** The name between the brackets; undefined for the lines before the first header. */
  name?: string;
  /** The comments just before the header (after any blank line): they introduce this section, not the one above. */
  lead: string[];
  /** The header and the section's own lines, as written (a `\r` of a CRLF file included). */
  lines: string[];
}

export interface IniDocument {
  sections: IniSection[];
  /** What ends a line this document adds: `\r` before the `\n` when the file's first line has one. */
  cr: string;
  finalNewline: boolean;
}

const HEADER = /^\[([^\]]*)\]$/;
/** pgBackRest's `key=value`, spaces around either trimmed; a line starting with `#` is a comment. */
const KEY_VALUE = /^([^#=\s][^=]*?)\s*=\s*(.*)$/;

/** The key and value of a `key=value` line, or undefined for a header, comment or blank line. */
export function iniKeyValue(line: string): { key: string; value: string } | undefined {
  const m = KEY_VALUE.exec(line.trim());
  return m && !HEADER.test(line.trim()) ? { key: m[1] ?? '', value: (m[2] ?? '').trim() } : undefined;
}

export function parseIni(text: string): IniDocument {
  const raw = text.split('\n');
  const finalNewline = text.endsWith('\n');
  if (finalNewline || text === '') raw.pop();
  const preamble: IniSection = { lead: [], lines: [] };
  const sections: IniSection[] = [preamble];
  let pending: string[] = [];
  for (const line of raw) {
    const trimmed = line.trim();
    const header = HEADER.exec(trimmed);
    if (header) {
      // The comments right above a header introduce it; what comes before the last blank line ends the section above.
      let split = pending.length;
      while (split > 0 && (pending[split - 1] ?? '').trim() !== '') split--;
      (sections[sections.length - 1] ?? preamble).lines.push(...pending.slice(0, split));
      sections.push({ name: (header[1] ?? '').trim(), lead: pending.slice(split), lines: [line] });
      pending = [];
    } else if (trimmed === '' || trimmed.startsWith('#')) {
      pending.push(line);
    } else {
      const current = sections[sections.length - 1] ?? preamble;
      current.lines.push(...pending, line);
      pending = [];
    }
  }
  // Comments after the last key stay where they are: at the end of the last section.
  (sections[sections.length - 1] ?? preamble).lines.push(...pending);
  return { sections, cr: raw[0]?.endsWith('\r') ? '\r' : '', finalNewline };
}

export function formatIni(doc: IniDocument): string {
  const lines = doc.sections.flatMap((s) => [...s.lead, ...s.lines]);
  return lines.join('\n') + (doc.finalNewline && lines.length ? '\n' : '');
}

/** The section's keys and values; a key given twice keeps its last value, as pgBackRest would refuse it anyway. */
export function sectionValues(section: IniSection): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of section.lines) {
    const kv = iniKeyValue(line);
    if (kv) values.set(kv.key, kv.value);
  }
  return values;
}

export function findSection(doc: IniDocument, name: string): IniSection | undefined {
  return doc.sections.find((s) => s.name === name);
}

/** Adds lines after the section's last key (or its header), before the comments that end it. */
export function appendToSection(doc: IniDocument, section: IniSection, lines: readonly string[]): void {
  let at = section.lines.length;
  while (at > 1 && !iniKeyValue(section.lines[at - 1] ?? '')) at--;
  section.lines.splice(at, 0, ...lines.map((l) => l + doc.cr));
}

/** Puts a section with these lines (header first) in place of the one of that name, keeping its lead and closing comments, or after the others. */
export function putSection(doc: IniDocument, name: string, lines: readonly string[], opts: { first?: boolean } = {}): void {
  const withCr = lines.map((l) => l + doc.cr);
  const existing = findSection(doc, name);
  if (existing) {
    // The blank lines and comments that end the old section stay, so the layout around it does not change.
    let end = existing.lines.length;
    while (end > 1 && !iniKeyValue(existing.lines[end - 1] ?? '')) end--;
    existing.lines = [...withCr, ...existing.lines.slice(end)];
    return;
  }
  const last = doc.sections[doc.sections.length - 1];
  // A blank line between the section above and the new one, unless the file already ends with one.
  const ends = last?.lines.at(-1) ?? last?.lead.at(-1);
  const lead = ends !== undefined && ends.trim() !== '' ? [doc.cr] : [];
  const section: IniSection = { name, lead: opts.first ? [] : lead, lines: withCr };
  if (opts.first) {
    // Before the first header: after the preamble, and a blank line after it.
    section.lines.push(doc.cr);
    doc.sections.splice(1, 0, section);
  } else doc.sections.push(section);
  doc.finalNewline = true;
}
