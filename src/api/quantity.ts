/**
 * Kubernetes resource quantities (`500m`, `1.5`, `512Mi`, `2G`, `1e3`) as plain numbers.
 */
import { BadRequestError } from './errors.js';

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The quantity's value in base units (bytes, cores, devices). */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/.exec(q.trim());
  if (!m) throw new BadRequestError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': "${q}"`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

/** CPU in millicores, rounded up as Kubernetes does. */
export function cpuMillis(q: string | number): number {
  return Math.ceil(parseQuantity(q) * 1000 - 1e-9);
}

/** Formats bytes the way kubectl shows memory (`512Mi`). */
export function formatBytes(bytes: number): string {
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size) return `${Math.round(bytes / size)}${suffix}`;
  }
  return String(Math.round(bytes));
}

export function formatMillis(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** `parseQuantity` for values from any object, where a malformed one counts as 0 (display, not admission). */
export function safeQuantity(v: unknown): number {
  try {
    return parseQuantity(typeof v === 'number' ? v : String(v));
  } catch {
    return 0;
  }
}

/** A resource amount as kubectl shows it: cpu in millicores (`250m`, `2`), memory in binary units, else a count. */
export function formatResource(name: string, value: number): string {
  if (name === 'cpu') {
    const m = Math.round(value * 1000);
    return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
  }
  if (name === 'memory' || name.startsWith('hugepages-') || name === 'ephemeral-storage') {
    if (value === 0) return '0';
    for (const [s, size] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
      if (value >= size && value % size === 0) return `${value / size}${s}`;
    }
    return String(Math.round(value));
  }
  return String(Math.round(value * 1000) / 1000);
}
