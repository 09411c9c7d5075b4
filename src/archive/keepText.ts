// Keep rules as a person types them in the editor ("last 2, daily 7, weekly 4, within 2d"), into the
// rules a plan's keep: and `pgbr backrest expire --keep-…` give (no vscode import: unit tests read it).
import { PgbrError } from '../core/platform';
import { type KeepRules, parseWithin } from '../core/retention';

const COUNTS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export const KEEP_EXAMPLE = 'last 2, daily 7, weekly 4, monthly 6';

export function parseKeepText(text: string): KeepRules {
  const rules: KeepRules = {};
  for (const part of text.split(/[,;]/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z]+)\s*[:=]?\s*(\S+)$/i.exec(part);
    const key = m?.[1]?.toLowerCase();
    const value = m?.[2] ?? '';
    if (key === 'within') {
      const seconds = parseWithin(value);
      if (seconds === undefined) throw new PgbrError('usage', `"${part}": within takes a number and one of h, d, w, m, y, like within 2d.`);
      rules.within = { text: value, seconds };
    } else if (key && (COUNTS as readonly string[]).includes(key) && /^\d+$/.test(value)) {
      rules[key as (typeof COUNTS)[number]] = Number(value);
    } else {
      throw new PgbrError('usage', `"${part}" is not a keep rule: write rules like ${KEEP_EXAMPLE} (also hourly, yearly, within 2d).`);
    }
  }
  if (!Object.values(rules).some((v) => (typeof v === 'number' ? v > 0 : v !== undefined))) {
    throw new PgbrError('usage', `Give at least one keep rule, like ${KEEP_EXAMPLE}: without one, expire has nothing to decide by.`);
  }
  return rules;
}
