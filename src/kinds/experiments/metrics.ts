/**
 * Metrics collection as Katib's collectors and trial controller do it, as pure functions:
 * parsing a trial's output (stdout or a TEXT file: `name=value` found by regex filters; a JSON
 * file: one object per line), reducing the points to the trial's observation (min, max, latest
 * per metric) and reading the value that ranks a trial.
 *
 * Times are RFC 3339 strings throughout, compared at nanosecond precision.
 */
import { compileGoRegex, type GoRegex } from '../../util/goregex.js';
import { UNAVAILABLE, type Metric, type MetricStrategyValue, type ObjectiveSpec } from './types.js';

/**
 * Katib's default metrics filter (DefaultFilter in its metrics collector): a name of word
 * characters, `|` or `-`, then `=`, then a decimal number, possibly signed, fractional or with
 * an exponent (`loss=0.3`, `accuracy=.98`, `score=-7.53e-05`, `score=1E0`).
 */
export const DEFAULT_METRICS_FILTER = String.raw`([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)`;

/** The time Katib records for a metric whose line carries none: Go's zero time. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface MetricPoint {
  name: string;
  value: string;
  /** RFC 3339, as found in the output or the caller's fallback. */
  time: string;
}

// ---------------------------------------------------------------------------------------------
// Times

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;
const NS_PER_S = 1_000_000_000n;

/** Days from 1970-01-01 to a proleptic Gregorian date (no Date: it maps years 0–99 to 19xx). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * Nanoseconds since the Unix epoch of an RFC 3339 time (fractional seconds optional, as Go's
 * time.RFC3339Nano layout parses), or undefined when `s` is not one.
 */
export function parseMetricTime(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return undefined;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  const frac = BigInt(((m[7] ?? '') + '000000000').slice(0, 9));
  return BigInt(secs) * NS_PER_S + frac;
}

/** RFC 3339 in UTC with the fraction trimmed of trailing zeros, as Go's RFC3339Nano formats. */
function formatNanos(ns: bigint): string | undefined {
  let secs = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    secs -= 1n;
  }
  const ms = Number(secs) * 1000;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (!Number.isFinite(ms) || Number.isNaN(date.getTime()) || year < 1 || year > 9999) return undefined;
  const iso = date.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  const f = frac === 0n ? '' : '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso}${f}Z`;
}

/**
 * A JSON `timestamp` given as seconds since the epoch. Katib reads the decimal digits after the
 * point as a count of nanoseconds (so .5 became 5ns); Drover reads them as the fraction of a
 * second they are.
 */
function timeFromEpochSeconds(seconds: number): string | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  let text = String(seconds);
  if (/e/i.test(text)) text = seconds.toFixed(9);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const ns = BigInt(m[2]!) * NS_PER_S + BigInt(((m[3] ?? '') + '000000000').slice(0, 9));
  return formatNanos(m[1] === '-' ? -ns : ns);
}

// ---------------------------------------------------------------------------------------------
// Numbers

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/**
 * A metric value as a number the way Go's strconv.ParseFloat accepts it (decimal with optional
 * exponent, inf/infinity/nan), or undefined when it is not one: empty, `unavailable`, text, or
 * out of float64 range.
 */
export function metricNumber(value: string): number | undefined {
  if (DECIMAL.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined; // Go reports a range error for 1e400
  }
  if (SPECIAL.test(value)) {
    const lower = value.toLowerCase();
    if (lower.endsWith('nan')) return NaN;
    return lower.startsWith('-') ? -Infinity : Infinity;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Filters

/**
 * Filters Drover refused before it ran them on RE2, and still refuses so that the set of valid
 * filters does not change: inline flags other than a leading (?i), (?s) or (?m), and negated
 * POSIX classes. Go (and so Katib) accepts them; this can go when Drover accepts them too.
 */
function refusedFilterSyntax(filter: string): string | undefined {
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(filter);
  const flag = lead?.[1]!.match(/[^ism]/)?.[0];
  if (lead && flag) return `the inline flag "${flag}" in ${JSON.stringify(lead[0])} is not supported (i, s and m are)`;
  if (/\(\?[a-zA-Z-]+[):]/.test(lead ? filter.slice(lead[0].length) : filter)) return 'inline flags are supported only as a leading (?i), (?s) or (?m)';
  if (/\[:\^[a-z]+:\]/.test(filter)) return 'negated POSIX classes such as [[:^digit:]] are not supported';
  return undefined;
}

const TWO_GROUPS = /.*\(.*\).*\(.*\).*/;
const compiled = new Map<string, GoRegex>();

/**
 * Why `filter` cannot be a metrics filter, or undefined when it can. As Katib's validation: it
 * must compile (Go syntax) and have two parenthesised groups, the metric's name and its value.
 */
export function metricsFilterError(filter: string): string | undefined {
  try {
    compileMetricsFilter(filter);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A metrics filter compiled once (RE2). Throws an Error that names the filter when it is invalid. */
export function compileMetricsFilter(filter: string): GoRegex {
  const hit = compiled.get(filter);
  if (hit) return hit;
  const bad = (why: string): never => {
    throw new Error(`metrics filter ${JSON.stringify(filter)}: ${why}`);
  };
  const refused = refusedFilterSyntax(filter);
  if (refused !== undefined) return bad(refused);
  let re: GoRegex;
  try {
    re = compileGoRegex(filter);
  } catch (e) {
    return bad(`not a valid regular expression (${(e as Error).message})`);
  }
  if (!TWO_GROUPS.test(filter)) bad('two groups are required, the first for the metric name and the second for its value');
  if (compiled.size > 64) compiled.clear();
  compiled.set(filter, re);
  return re;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Metric points in lines of text output, as Katib's StdOut and TEXT-file collectors read them.
 * A line that contains none of `metricNames` is skipped. If what comes before the line's first
 * space is an RFC 3339 time it is the points' time, else `fallbackTime` (Katib: the zero time).
 * Every match of every filter (default {@link DEFAULT_METRICS_FILTER}) gives a name (group 1)
 * and a value (group 2), trimmed; those whose name is one of `metricNames` are kept, in the
 * order of the lines, then of the filters, then of the matches. Throws for an invalid filter.
 */
export function parseTextLines(
  lines: readonly string[],
  metricNames: readonly string[],
  filters?: readonly string[],
  fallbackTime: string = ZERO_TIME,
): MetricPoint[] {
  const regexes = (filters && filters.length > 0 ? filters : [DEFAULT_METRICS_FILTER]).map(compileMetricsFilter);
  const wanted = new Set(metricNames);
  const out: MetricPoint[] = [];
  for (const line of lines) {
    if (!metricNames.some((m) => line.includes(m))) continue;
    let time = fallbackTime;
    const space = line.indexOf(' ');
    if (space > 0) {
      const head = line.slice(0, space);
      if (parseMetricTime(head) !== undefined) time = head;
    }
    for (const re of regexes) {
      for (const m of re.findAll(line)) {
        const name = (m.groups[1] ?? '').trim();
        if (!wanted.has(name)) continue;
        out.push({ name, value: (m.groups[2] ?? '').trim(), time });
      }
    }
  }
  return out;
}

/**
 * Metric points in a JSON-lines metrics file, as Katib's File collector reads format JSON: each
 * non-blank line is one JSON object; for each of `metricNames` whose value on that line is a
 * string, one point. As in Katib, a number value is not a metric (write `"loss": "0.25"`).
 * The optional `timestamp` key is an RFC 3339 string or seconds since the epoch as a number;
 * missing or unreadable, the time is `fallbackTime`. Throws for a line that is not a JSON object
 * (Katib fails the whole collection), naming the line.
 */
export function parseJsonLines(lines: readonly string[], metricNames: readonly string[], fallbackTime: string = ZERO_TIME): MetricPoint[] {
  const out: MetricPoint[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new Error(`metrics line ${index + 1} is not valid JSON (${(e as Error).message}): ${line.slice(0, 200)}`);
    }
    if (obj === null) return;
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      throw new Error(`metrics line ${index + 1} is not a JSON object: ${line.slice(0, 200)}`);
    }
    const record = obj as Record<string, unknown>;
    let time = fallbackTime;
    const ts = record.timestamp;
    if (typeof ts === 'string' && parseMetricTime(ts) !== undefined) time = ts;
    else if (typeof ts === 'number') time = timeFromEpochSeconds(ts) ?? fallbackTime;
    for (const name of metricNames) {
      const value = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
      if (typeof value === 'string') out.push({ name, value, time });
    }
  });
  return out;
}

/**
 * Splits text that arrives in pieces into lines, so that a streamed log or a file read in chunks
 * gives the same lines as reading it whole. A line ends at `\n`; a `\r` before it is dropped.
 * Bytes are decoded as UTF-8 across chunk boundaries.
 */
export class LineBuffer {
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** The lines completed by `chunk`. */
  push(chunk: string | Uint8Array): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    return parts.map(stripCR);
  }

  /** The last line when it did not end with a newline (none when it did). */
  flush(): string[] {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    return rest === '' ? [] : [stripCR(rest)];
  }
}

function stripCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

// ---------------------------------------------------------------------------------------------
// Observation

const ZERO_NS = parseMetricTime(ZERO_TIME)!;

function timeOf(p: MetricPoint): bigint {
  const t = parseMetricTime(p.time);
  if (t === undefined) throw new Error(`metric ${p.name}=${p.value} has an invalid time ${JSON.stringify(p.time)}`);
  return t;
}

/**
 * The observation Katib's trial controller derives from a trial's metric points: for each of
 * `metricNames`, min and max over its numeric values (non-numeric ones are skipped, and the
 * strings are kept as written) and latest, the value of its last point by time (ties go to the
 * later point), whatever it is. A metric never seen is `unavailable` in all three. Throws for a
 * point whose time is not RFC 3339.
 */
export function observationOf(points: readonly MetricPoint[], metricNames: readonly string[]): Metric[] {
  interface Acc {
    metric: Metric;
    min: number;
    max: number;
    latestAt?: bigint;
  }
  const acc = new Map<string, Acc>();
  for (const name of metricNames) {
    if (!acc.has(name)) acc.set(name, { metric: { name, min: UNAVAILABLE, max: UNAVAILABLE, latest: UNAVAILABLE }, min: NaN, max: NaN });
  }
  for (const p of points) {
    const a = acc.get(p.name);
    if (!a) continue;
    const n = metricNumber(p.value);
    if (n !== undefined) {
      if (a.metric.min === UNAVAILABLE) {
        a.metric.min = a.metric.max = p.value;
        a.min = a.max = n;
      } else if (n < a.min) {
        a.metric.min = p.value;
        a.min = n;
      } else if (n > a.max) {
        a.metric.max = p.value;
        a.max = n;
      }
    }
    const t = timeOf(p);
    if (a.latestAt === undefined || t >= a.latestAt) {
      a.latestAt = t;
      a.metric.latest = p.value;
    }
  }
  return [...acc.values()].map((a) => a.metric);
}

/**
 * The strategy that reads the objective metric: the objective's own entry in metricStrategies,
 * else Katib's default for it (min when minimizing, max when maximizing).
 */
export function objectiveStrategy(objective: ObjectiveSpec): MetricStrategyValue {
  const given = objective.metricStrategies?.find((s) => s.name === objective.objectiveMetricName)?.value;
  if (given) return given;
  return objective.type === 'minimize' ? 'min' : objective.type === 'maximize' ? 'max' : 'latest';
}

/**
 * The value that ranks a trial, as Katib's experiment controller reads it: the objective
 * metric's min, max or latest by its strategy, latest when min/max is unavailable (no numeric
 * value was seen). Undefined when the metric is missing, unavailable or not a number.
 */
export function objectiveValue(metrics: readonly Metric[], objective: ObjectiveSpec): number | undefined {
  const metric = metrics.find((m) => m.name === objective.objectiveMetricName);
  if (!metric) return undefined;
  let text: string;
  switch (objectiveStrategy(objective)) {
    case 'min':
      text = metric.min === UNAVAILABLE ? metric.latest : metric.min;
      break;
    case 'max':
      text = metric.max === UNAVAILABLE ? metric.latest : metric.max;
      break;
    default:
      text = metric.latest;
  }
  const n = metricNumber(text);
  return n === undefined || Number.isNaN(n) ? undefined : n;
}

/**
 * The objective metric's numeric values in time order (points with equal times keep their
 * order), one per report: the per-step curve median stopping compares. Non-numeric values are
 * left out.
 */
export function objectiveSeries(points: readonly MetricPoint[], objectiveName: string): number[] {
  const mine = points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.name === objectiveName)
    .map(({ p, i }) => ({ t: parseMetricTime(p.time) ?? ZERO_NS, i, n: metricNumber(p.value) }));
  mine.sort((a, b) => (a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.i - b.i));
  const out: number[] = [];
  for (const { n } of mine) if (n !== undefined && !Number.isNaN(n)) out.push(n);
  return out;
}
