/**
 * What Argo puts in the environment of a `{{=…}}` expression (util/expr/env.GetFuncMap):
 * the template's variables, expanded from flat dotted names into nested maps, plus `asInt`,
 * `asFloat`, `jsonpath`, `toJson` and the `sprig` map.
 *
 * Expansion follows Argo's `expand.Expand`: `inputs.parameters.lr` becomes
 * `{inputs: {parameters: {lr: …}}}`, so `inputs.parameters.lr` and `inputs.parameters['lr']`
 * both resolve and `inputs.parameters` reads as a map. When a name is also the prefix of a longer
 * one (`inputs.parameters` holds the JSON of all parameters, and `inputs.parameters.lr` exists),
 * the less specific one gives way, so the deeper keys are never lost.
 */
import { fail } from './errors.js';
import { arity, toFloat, toInt } from './builtins.js';
import { queryJSONPath } from './jsonpath.js';
import { sprigFunctions } from './sprig.js';
import { ExprFunction, goJSON, newMap, parseJSON, isMap, type ExprMap } from './values.js';

function jsonpath(args: unknown[]): unknown {
  if (args.length !== 2) fail(`jsonpath() expects 2 arguments (a JSON string and a path), got ${args.length}`);
  const [text, path] = args;
  if (typeof text !== 'string') fail('jsonpath() expects a JSON string as its first argument');
  if (typeof path !== 'string') fail('jsonpath() expects a path string as its second argument');
  let doc: unknown;
  try {
    doc = parseJSON(text);
  } catch (err) {
    return fail(`jsonpath(): invalid JSON: ${(err as Error).message}`);
  }
  return queryJSONPath(doc, path);
}

function argoGlobals(): ExprMap {
  const g = newMap();
  // Argo's aliases of expr's int() and float(), kept for old workflows.
  g.asInt = new ExprFunction('asInt', (args) => (arity('asInt', args, 1), toInt('asInt', args[0])));
  g.asFloat = new ExprFunction('asFloat', (args) => (arity('asFloat', args, 1), toFloat('asFloat', args[0])));
  g.jsonpath = new ExprFunction('jsonpath', jsonpath);
  g.toJson = new ExprFunction('toJson', (args) => {
    if (args.length !== 1) fail(`toJson() expects 1 argument, got ${args.length}`);
    return goJSON(args[0]);
  });
  g.sprig = Object.freeze(sprigFunctions());
  return Object.freeze(g);
}

/** Argo's functions; they take precedence over variables of the same name, as in Argo. */
export const ARGO_GLOBALS: Readonly<ExprMap> = argoGlobals();

/**
 * Builds an expression environment from Argo's flat variables (`inputs.parameters.lr`,
 * `steps.train.outputs.result`, `item`, `workflow.name`). Dotted names are nested into maps;
 * each dotted name is also kept whole at the top, where expr's `$env['inputs.parameters.lr']`
 * reaches it (and where a name that gave way to deeper ones stays readable).
 */
export function expressionEnv(flat: ReadonlyMap<string, string> | Record<string, string>): Record<string, unknown> {
  const entries: [string, string][] = flat instanceof Map ? [...flat.entries()] : Object.entries(flat);
  const prefixes = new Set<string>();
  for (const [key] of entries) {
    for (let i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) prefixes.add(key.slice(0, i));
  }
  const env = newMap();
  for (const [key, value] of entries) {
    if (prefixes.has(key)) continue;
    const parts = key.split('.');
    let node = env;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (isMap(next)) node = next;
      else node = node[part] = newMap();
    }
    node[parts[parts.length - 1]!] = value;
  }
  for (const [key, value] of entries) if (key.includes('.')) env[key] = value;
  return env;
}
