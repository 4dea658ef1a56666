/**
 * Label selectors as kubectl writes them: `app=web,tier!=db,env in (a,b),!legacy,gpu`.
 */
import { BadRequestError } from './errors.js';

export type Requirement =
  | { key: string; op: 'in'; values: string[] }
  | { key: string; op: 'notin'; values: string[] }
  | { key: string; op: 'exists' }
  | { key: string; op: 'notexists' };

export type LabelSelector = Requirement[];

/** A selector's requirements: the text split on commas that are not inside parentheses (`in (a, b)`). */
export function selectorParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  return parts;
}

export function parseSelector(text: string): LabelSelector {
  const reqs: Requirement[] = [];
  for (const raw of selectorParts(text)) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter(Boolean);
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
    } else if ((m = p.match(/^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
    } else if ((m = p.match(/^!\s*([^\s!=()]+)$/))) {
      reqs.push({ key: m[1]!, op: 'notexists' });
    } else if ((m = p.match(/^([^\s!=()]+)$/))) {
      reqs.push({ key: m[1]!, op: 'exists' });
    } else {
      throw new BadRequestError(`invalid label selector "${text}": cannot parse "${p}"`);
    }
  }
  return reqs;
}

/** A selector from a `matchLabels` map (as Jobs and nodeSelector use). */
export function selectorFromMap(labels: Record<string, string>): LabelSelector {
  return Object.entries(labels).map(([key, v]) => ({ key, op: 'in' as const, values: [v] }));
}

export function matchesSelector(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

export function formatSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case 'in':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'notin':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
      }
    })
    .join(',');
}
