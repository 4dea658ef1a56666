/**
 * Argo Workflows' own examples/ (upstream's repository at the version scripts/argo-examples.sh
 * names, cached outside this repository), run unchanged against a real Drover server, each held
 * to upstream's expected outcome.
 *
 * Upstream's examples test (test/e2e/examples_test.go) first applies every ConfigMap,
 * PersistentVolumeClaim, WorkflowTemplate and ClusterWorkflowTemplate of examples/, then submits
 * each Workflow and expects it to succeed, unless it carries the label
 * `workflows.argoproj.io/no-test`: `expected-failure` (here: expected to end Failed), or
 * `environment`, `duration`, `flaky` (upstream does not run those; neither do we). EXCLUDED below
 * lists, with a reason each, the examples left that need what Drover does not have.
 *
 * Images are not pulled: the server's `images:` maps upstream's images to this machine, with the
 * shims in scripts/images (argosay, cowsay); busybox, alpine and debian are the host's sh and
 * coreutils, python:* the host's python3, node:* the host's node.
 *
 * Set DROVER_REQUIRE_ARGO_EXAMPLES=1 (.ci/run does) to fail instead of skipping when the examples
 * cannot be fetched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { Drover, REPO, sleep } from './drover.js';

/** Examples upstream runs (or expects to fail) that Drover cannot, and why. */
const EXCLUDED: Record<string, string> = {
};

/** Workflows run at once: enough to keep two cores busy while most examples sleep or wait. */
const CONCURRENCY = 8;
/** One example's limit, from submission to its end. */
const EXAMPLE_TIMEOUT_MS = 120_000;

type Outcome = 'Succeeded' | 'Failed';
interface Case {
  /** `dag-diamond.yaml`, or `workflow-template/steps.yaml`; `#2` after it for a file's second Workflow. */
  id: string;
  file: string;
  doc: Record<string, unknown>;
  expect?: Outcome;
  /** Why it is not run. */
  skip?: string;
}
interface Result {
  phase: string;
  message: string;
  seconds: number;
  nodes: string;
}

function examplesDir(): string | undefined {
  try {
    return execFileSync('bash', [join(REPO, 'scripts/argo-examples.sh'), 'ensure'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    if (process.env['DROVER_REQUIRE_ARGO_EXAMPLES']) throw e;
    return undefined;
  }
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(f)) out.push(p);
  }
  return out;
}

const DIR = examplesDir();
const SUPPORTING = new Set(['ConfigMap', 'PersistentVolumeClaim', 'WorkflowTemplate', 'ClusterWorkflowTemplate']);
const cases: Case[] = [];
const supporting: { file: string; doc: Record<string, unknown> }[] = [];
for (const file of DIR ? yamlFiles(DIR) : []) {
  const rel = relative(DIR!, file);
  let n = 0;
  for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const doc = d.toJS() as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') continue;
    if (SUPPORTING.has(String(doc['kind']))) supporting.push({ file, doc });
    if (doc['kind'] !== 'Workflow') continue;
    n++;
    const id = n === 1 ? rel : `${rel}#${n}`;
    const label = ((doc['metadata'] as { labels?: Record<string, string> } | undefined)?.labels ?? {})['workflows.argoproj.io/no-test'];
    const c: Case = { id, file, doc };
    if (EXCLUDED[id]) c.skip = EXCLUDED[id];
    else if (label === undefined) c.expect = 'Succeeded';
    else if (label === 'expected-failure') c.expect = 'Failed';
    else c.skip = `upstream does not run it (no-test: ${label})`;
    cases.push(c);
  }
}
for (const id of Object.keys(EXCLUDED)) if (!cases.some((c) => c.id === id)) throw new Error(`EXCLUDED names ${id}, which is not an example Workflow`);

const config = `images:
  argoproj/argosay: { entrypoint: [argosay], pathPrepend: [${join(REPO, 'scripts/images')}] }
  docker/whalesay: { pathPrepend: [${join(REPO, 'scripts/images')}] }
  python: { workingDir: / }
  node: { workingDir: / }
  debian: { workingDir: / }
`;

let d: Drover;
const results = new Map<string, Result>();
const notApplied: string[] = [];

async function runCase(c: Case): Promise<Result> {
  const started = Date.now();
  // On stdin, from the example's directory: what `drover create -f FILE` does with one document.
  const out = await d.cli(['create', '-f', '-'], stringify(c.doc), dirname(c.file));
  if (out.code !== 0) return { phase: 'Rejected', message: (out.stderr || out.stdout).trim(), seconds: 0, nodes: '' };
  const name = /workflow\.argoproj\.io\/(\S+) created/.exec(out.stdout)?.[1];
  if (!name) return { phase: 'Rejected', message: `no name in: ${out.stdout}`, seconds: 0, nodes: '' };
  for (;;) {
    const res = await d.api(`/apis/argoproj.io/v1alpha1/namespaces/default/workflows/${name}`);
    const wf = (await res.json()) as { status?: { phase?: string; message?: string; nodes?: Record<string, { displayName: string; phase: string; message?: string }> } };
    const phase = wf.status?.phase ?? '';
    const done = phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';
    const timedOut = Date.now() - started > EXAMPLE_TIMEOUT_MS;
    if (done || timedOut) {
      const nodes = Object.values(wf.status?.nodes ?? {})
        .map((n) => `${n.displayName}=${n.phase}${n.message ? ` (${n.message})` : ''}`)
        .join('; ');
      if (!done) await d.cli(['delete', 'workflow', name]);
      return { phase: done ? phase : `${phase || 'Pending'} after ${EXAMPLE_TIMEOUT_MS / 1000}s`, message: wf.status?.message ?? '', seconds: (Date.now() - started) / 1000, nodes };
    }
    await sleep(250);
  }
}

before(async () => {
  if (!DIR) return;
  d = await Drover.start({ cpus: '4', memory: '8Gi', config });
  for (const s of supporting) {
    const r = await d.cli(['apply', '-f', '-'], stringify(s.doc), dirname(s.file));
    const what = `${relative(DIR, s.file)} (${String(s.doc['kind'])} ${(s.doc['metadata'] as { name?: string } | undefined)?.name ?? ''})`;
    // Only the Workflows that use it need it: they fail, and say why, if it is missing.
    if (r.code !== 0) notApplied.push(`${what}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  }
  const queue = cases.filter((c) => c.expect);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.set(c.id, await runCase(c));
    }),
  );
});

after(async () => {
  await d?.stop();
  if (!DIR) return;
  const rows = cases.map((c) => {
    const r = results.get(c.id);
    const verdict = c.skip ? 'excluded' : r?.phase === c.expect ? 'pass' : 'FAIL';
    const detail = c.skip ?? (r ? `${r.phase}${r.phase !== c.expect ? ` (expected ${c.expect}) ${r.message} ${r.nodes}` : ''} in ${r.seconds.toFixed(1)}s` : 'not run');
    return `${verdict.padEnd(8)} ${c.id.padEnd(62)} ${detail}`;
  });
  const count = (v: string) => rows.filter((r) => r.startsWith(v)).length;
  console.log(`\nArgo examples (${DIR}): ${count('pass')} pass, ${count('FAIL')} fail, ${count('excluded')} excluded\n${rows.join('\n')}\n`);
  if (notApplied.length) console.log(`Templates and objects Drover refused (the examples using them are excluded or fail):\n${notApplied.join('\n')}\n`);
});

for (const c of cases) {
  test(`argo example ${c.id}${c.expect ? ` ends ${c.expect}, as upstream expects` : ''}`, { skip: !DIR ? 'the Argo examples could not be fetched (scripts/argo-examples.sh)' : c.skip }, () => {
    const r = results.get(c.id);
    assert.ok(r, 'it did not run');
    assert.equal(r.phase, c.expect, `${c.id}: ${r.message}\n${r.nodes}`);
  });
}
