// `pg_restore --list` parsing benchmark: the parser on 4,000 and 16,000 tables (5 entries each). The ratio
// of the two times shows whether parsing grows linearly (≈4×) or per line over all tables (≈16×).
//
//   npx tsx bench/toc-list.ts
//   BENCH_LIST_RUNS=9   timed runs per size
// Measurements, not tests: a missed target is reported, and the exit code is still 0.
import { parseTocList } from '../src/core/logical/toc';
import { envInt, formatMs, loadAverage, median, renderTable } from './support';

/** 4× the entries must cost well under the 16× a quadratic parser would. */
const TARGET_RATIO = 6;

/** A synthetic list: `tables` tables, each with data, a sequence, a default and a primary key. */
export function syntheticList(tables: number): string {
  const lines = [';', '; Archive created at 2026-01-01 00:00:00 UTC', ';     dbname: big', ';'];
  let id = 1;
  for (let i = 0; i < tables; i++) lines.push(`${id++}; 1259 ${i} TABLE public t${i} app`, `${id++}; 1259 ${i} SEQUENCE public t${i}_id_seq app`);
  for (let i = 0; i < tables; i++) lines.push(`${id++}; 2604 ${i} DEFAULT public t${i} id app`, `${id++}; 0 ${i} TABLE DATA public t${i} app`);
  for (let i = 0; i < tables; i++) lines.push(`${id++}; 2606 ${i} CONSTRAINT public t${i} t${i}_pkey app`);
  return lines.join('\n') + '\n';
}

function timeParse(text: string, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const { entries } = parseTocList(text);
    times.push(performance.now() - t0);
    if (entries.length === 0) throw new Error('the synthetic list parsed to nothing');
  }
  return times;
}

if (require.main === module) {
  const runs = envInt('BENCH_LIST_RUNS', 9);
  const small = syntheticList(4000);
  const large = syntheticList(16000);
  timeParse(small, 2); // warm-up: the JIT, not the parser, would otherwise dominate the first runs
  const tSmall = median(timeParse(small, runs));
  const tLarge = median(timeParse(large, runs));
  const ratio = tLarge / tSmall;
  console.log(`load ${loadAverage()}`);
  console.log(
    renderTable([
      ['tables', 'entries', 'median parse'],
      ['4,000', '20,000', formatMs(tSmall)],
      ['16,000', '80,000', formatMs(tLarge)],
    ]),
  );
  console.log(`ratio 16,000 / 4,000 tables: ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO}; linear is 4): ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`);
}
