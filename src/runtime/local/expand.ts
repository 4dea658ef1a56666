/**
 * `$(VAR)` expansion in command, args and env values, ported from Kubernetes
 * (third_party/forked/golang/expansion): `$$` is an escaped `$`, `$(NAME)` is replaced when NAME
 * is known, and left exactly as written when it is not.
 */

/** Expands `$(VAR)` references in `input` using `lookup`; unknown names stay as `$(NAME)`. */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  if (!input.includes('$')) return input;
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    const next = rest[0];
    let advance = 1;
    if (next === '$') {
      out += '$';
    } else if (next === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        const value = lookup(name);
        out += value ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      out += '$' + next;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** A lookup over maps, earlier maps first (Kubernetes: the container's env, then service env). */
export function mappingFor(...maps: ReadonlyArray<ReadonlyMap<string, string> | Readonly<Record<string, string>>>): (name: string) => string | undefined {
  return (name) => {
    for (const m of maps) {
      const v = m instanceof Map ? m.get(name) : (m as Record<string, string>)[name];
      if (v !== undefined && (m instanceof Map || Object.prototype.hasOwnProperty.call(m, name))) return v;
    }
    return undefined;
  };
}
