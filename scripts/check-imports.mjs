// Checks the import graph of src/ (part of `npm test` and `npm run test:unit`):
//   - no import cycles between modules (type-only imports count: a cycle of types is still a
//     knot a reader has to untie);
//   - the ground floor stays ground: src/api and src/util import nothing else of the project;
//   - src/util imports nothing outside src/util;
//   - what the CLI loads at start-up (src/cli/main.ts and its static imports) loads no schema
//     package, SQL driver or cluster client: those belong to the families' server halves, which
//     the CLI imports on demand.
// It reads the TypeScript sources, so it runs before or without a build.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Layers that may import only themselves and the layers listed. */
const GROUND = { api: ['api', 'util'], util: ['util'], print: ['print', 'api', 'util'] };

/** Packages the CLI must not load at start-up. */
const HEAVY = /^(kubernetes-models|@kubernetes-models\/|@kubernetes\/client-node|better-sqlite3|@aws-sdk\/)/;

function sources(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'testdata' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

// Static `import … from`, `export … from`, and dynamic `import('…')` of relative paths.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

// Static value imports (not `import type`, not `import(…)`), relative or of a package.
const STATIC = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^;'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

const files = sources(root);
const known = new Set(files);
const graph = new Map();
/** Per module: the modules it loads when it loads, and the packages. */
const loads = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts'));
    if (known.has(target)) deps.add(target);
  }
  graph.set(file, [...deps]);
  const modules = [];
  const packages = [];
  for (const m of text.matchAll(STATIC)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) modules.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    else packages.push(spec);
  }
  loads.set(file, { modules: modules.filter((t) => known.has(t)), packages });
}

const problems = [];
const rel = (f) => relative(root, f);
const layer = (f) => rel(f).split('/')[0];

for (const [file, deps] of graph) {
  const allowed = GROUND[layer(file)];
  if (!allowed) continue;
  for (const dep of deps) {
    if (!allowed.includes(layer(dep))) problems.push(`src/${rel(file)} imports src/${rel(dep)}: src/${layer(file)} may import only ${allowed.map((l) => `src/${l}`).join(' and ')}`);
  }
}

// What `drover` loads before it runs a command.
const cliMain = join(root, 'cli', 'main.ts');
const seen = new Map([[cliMain, undefined]]);
for (const queue = [cliMain]; queue.length > 0; ) {
  const file = queue.shift();
  for (const pkg of loads.get(file).packages) {
    if (!HEAVY.test(pkg)) continue;
    const chain = [file];
    for (let f = seen.get(file); f; f = seen.get(f)) chain.unshift(f);
    problems.push(`the CLI loads ${pkg} at start-up: ${chain.map((f) => `src/${rel(f)}`).join(' -> ')}`);
  }
  for (const dep of loads.get(file).modules) {
    if (seen.has(dep)) continue;
    seen.set(dep, file);
    queue.push(dep);
  }
}

// Tarjan's strongly connected components; each component of more than one module is a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function visit(v) {
  index.set(v, counter);
  low.set(v, counter);
  counter++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(w);
  } while (w !== v);
  if (component.length > 1 || graph.get(v).includes(v)) problems.push(`import cycle: ${component.map((f) => `src/${rel(f)}`).sort().join(' <-> ')}`);
}
for (const file of files) if (!index.has(file)) visit(file);

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`check-imports: ${problems.length} problem(s) in the import graph of src/`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} modules, no cycles, the ground floor imports only itself, the CLI loads ${seen.size} modules and no heavy package at start-up`);
