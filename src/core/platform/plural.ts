// Counts as people write them: "1 table", "2 tables", "1,204 rows".

/** `n` with its noun, singular for exactly one; `many` for nouns whose plural is not noun + "s". */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : many}`;
}
