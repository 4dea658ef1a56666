/**
 * Times and durations as the Argo CLI writes them (github.com/argoproj/pkg/humanize over
 * dustin/go-humanize): `argo get` shows `Duration: 1 minute 5 seconds`, node durations `1m`, and
 * `Created: Mon Jan 02 15:04:05 -0700 (1 minute ago)`.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;
const LONG_TIME = 37 * YEAR;

/** One row of go-humanize's magnitude tables: below `below` ms, print `format` with `%d` = diff / `div`. */
interface Magnitude {
  below: number;
  format: string;
  div: number;
}

/** go-humanize's CustomRelTime: the first magnitude the difference is below; `%s` is the label. */
function relTime(diffMs: number, label: string, table: readonly Magnitude[]): string {
  const m = table.find((x) => diffMs < x.below) ?? table[table.length - 1]!;
  return m.format.replace('%d', String(Math.trunc(diffMs / m.div))).replace('%s', label).trim();
}

const SHORT: Magnitude[] = [
  { below: SECOND, format: '0s', div: SECOND },
  { below: 2 * SECOND, format: '1s %s', div: 1 },
  { below: MINUTE, format: '%ds %s', div: SECOND },
  { below: 2 * MINUTE, format: '1m %s', div: 1 },
  { below: HOUR, format: '%dm %s', div: MINUTE },
  { below: 2 * HOUR, format: '1h %s', div: 1 },
  { below: DAY, format: '%dh %s', div: HOUR },
  { below: 2 * DAY, format: '1d %s', div: 1 },
  { below: WEEK, format: '%dd %s', div: DAY },
];

const LONG: Magnitude[] = [
  { below: SECOND, format: '0 seconds', div: SECOND },
  { below: 2 * SECOND, format: '1 second %s', div: 1 },
  { below: MINUTE, format: '%d seconds %s', div: SECOND },
  { below: 2 * MINUTE, format: '1 minute %s', div: 1 },
  { below: HOUR, format: '%d minutes %s', div: MINUTE },
  { below: 2 * HOUR, format: '1 hour %s', div: 1 },
  { below: DAY, format: '%d hours %s', div: HOUR },
  { below: 2 * DAY, format: '1 day %s', div: 1 },
  { below: WEEK, format: '%d days %s', div: DAY },
  { below: 2 * WEEK, format: '1 week %s', div: 1 },
  { below: MONTH, format: '%d weeks %s', div: WEEK },
  { below: 2 * MONTH, format: '1 month %s', div: 1 },
  { below: YEAR, format: '%d months %s', div: MONTH },
  { below: 18 * MONTH, format: '1 year %s', div: 1 },
  { below: 2 * YEAR, format: '2 years %s', div: 1 },
  { below: LONG_TIME, format: '%d years %s', div: YEAR },
  { below: Infinity, format: 'a long while %s', div: 1 },
];

const AGO: Magnitude[] = [{ below: SECOND, format: 'now', div: SECOND }, ...LONG.slice(1)];

/** `0s`, `45s`, `1m`, `59m`, `3h`, `2d`: one truncated unit, as Argo's node DURATION column. */
export function shortDuration(ms: number): string {
  // A week or more keeps counting days (the table's last row), as go-humanize does.
  return relTime(Math.abs(ms), '', SHORT);
}

/** `10 seconds`, `1 minute 5 seconds`, `2 hours 3 minutes`: up to two units, as `argo get`'s Duration. */
export function longDuration(ms: number): string {
  const d = Math.abs(ms);
  const first = relTime(d, '', LONG);
  if (d < MINUTE) return first;
  if (d < HOUR) return `${first} ${Math.trunc((d % MINUTE) / SECOND)} seconds`;
  if (d < DAY) return `${first} ${Math.trunc((d % HOUR) / MINUTE)} minutes`;
  return `${first} ${Math.trunc((d % DAY) / HOUR)} hours`;
}

function parse(t: string | undefined | null): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** From `start` to `finish`, or to `now` while unfinished; `0s` when it never started (Argo's RelativeDurationShort). */
export function relativeDurationShort(start: string | undefined | null, finish: string | undefined | null, now: number): string {
  const s = parse(start);
  const f = parse(finish);
  if (s === undefined) return f === undefined ? '0s' : shortDuration(0);
  return shortDuration((f ?? now) - s);
}

/** The long form of relativeDurationShort (Argo's RelativeDuration). */
export function relativeDuration(start: string | undefined | null, finish: string | undefined | null, now: number): string {
  const s = parse(start);
  if (s === undefined) return longDuration(0);
  return longDuration((parse(finish) ?? now) - s);
}

/** `1 minute ago`, `now`, `3 days from now` (go-humanize's Time). */
export function timeAgo(ms: number, now: number): string {
  const diff = now - ms;
  return relTime(Math.abs(diff), diff >= 0 ? 'ago' : 'from now', AGO);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Argo's humanize.Timestamp: `Mon Jan 02 15:04:05 -0700 (1 minute ago)`. `offsetMinutes` (east of
 * UTC) defaults to the machine's zone at that instant.
 */
export function argoTimestamp(timestamp: string, now: number, offsetMinutes?: number): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return timestamp;
  const off = offsetMinutes ?? -new Date(ms).getTimezoneOffset();
  const d = new Date(ms + off * 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const clock = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${clock} ${sign}${pad2(Math.trunc(abs / 60))}${pad2(abs % 60)} (${timeAgo(ms, now)})`;
}

/** Go's `%v` of a UTC time, as `argo wait` prints finish times: `2024-01-01 10:00:03 +0000 UTC`. */
export function goUtcTime(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return timestamp;
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000 UTC`;
}
