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
 * cannot be fetched. DROVER_ARGO_EXAMPLES_ONLY=REGEX runs only the examples whose path matches;
 * DROVER_ARGO_EXAMPLES_LABELLED=1 runs the labelled ones too (to see which could join EXPECT).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { Drover, REPO, sleep } from './drover.js';

/** Examples upstream runs (or expects to fail) that Drover cannot, and why. */
const EXCLUDED: Record<string, string> = {
  'artifact-gc-workflow.yaml': 'artifactGC (deleting artifacts from the repository) is not supported',
  'artifact-repository-ref.yaml': 'artifactRepositoryRef is not supported: the artifact repository is set in Drover\'s config',
  'conditionals.yaml': "its third `when` reads workflow.parameters.json, which the example does not define: Drover fails the unresolved tag",
  'daemon-nginx.yaml': 'its daemon is nginx, which is not on this machine (daemon steps themselves run: workflows-data.e2e)',
  'daemon-step.yaml': 'its daemon is influxdb and its clients curl, neither on this machine (daemon steps themselves run: workflows-data.e2e)',
  'expression-tag-template-workflow.yaml': "sprig.date of a string formats the clock's time: Drover's expressions do not read the clock",
  'http-hello-world.yaml': 'http templates are not supported (and pods here cannot reach the internet)',
  'k8s-patch-json-pod.yaml': 'patches {{pod.name}}, the pod its resource step runs in on Argo: Drover runs resource steps in its controller, with no pod of their own',
  'k8s-patch-merge-pod.yaml': 'patches {{pod.name}}, the pod its resource step runs in on Argo: Drover runs resource steps in its controller, with no pod of their own',
  'k8s-patch-pod.yaml': 'patches {{pod.name}}, the pod its resource step runs in on Argo: Drover runs resource steps in its controller, with no pod of their own',
  'key-only-artifact.yaml': 'writes /mnt/file, which only the image\'s root user may (containers run as uid 65534 here), and key-only S3 artifacts need an S3 repository',
  'life-cycle-hooks-tmpl-level.yaml': 'http templates (its hook) are not supported',
  'life-cycle-hooks-wf-level.yaml': 'http templates (its hook) are not supported',
  'map-reduce.yaml': 'writes /mnt/out, which only the image\'s root user may (containers run as uid 65534 here), and key-only S3 artifacts need an S3 repository',
  'sidecar-nginx.yaml': 'its sidecar is nginx, which is not on this machine (sidecars themselves run: workflows-data.e2e)',
  'sidecar.yaml': 'its sidecar is influxdb, and its step installs curl with apk: neither is on this machine; its args also close a multi-line "…" at the key\'s own indentation, which Go\'s YAML accepts and Drover\'s parser (the yaml package) rejects',
  'template-defaults.yaml': 'its outcome is random (a step that fails two times in three, retried twice); upstream runs it by hand',
  'volumes-emptydir.yaml': 'its args close a multi-line "…" at the key\'s own indentation, which Go\'s YAML accepts and Drover\'s parser (the yaml package) rejects',
};

/**
 * Outcomes set here rather than by upstream's label: where the label says `expected-failure` but
 * Argo's own semantics give another end, and labelled examples upstream does not run (its cluster
 * lacks something, or their timing is flaky there) whose outcome is certain and quick here.
 */
const EXPECT: Record<string, [Outcome, string]> = {
  'continue-on-fail.yaml': ['Succeeded', 'step C fails with continueOn.failed: the steps go on and Argo ends the workflow Succeeded'],
  'loops-dag.yaml': ['Succeeded', 'withItems in a DAG; labelled environment upstream'],
  'loops-sequence.yaml': ['Succeeded', 'withSequence; labelled environment upstream'],
  'dag-nested.yaml': ['Succeeded', 'a DAG in a DAG; labelled flaky upstream (timing on its cluster)'],
  'exit-handler-dag-level.yaml': ['Succeeded', 'onExit of DAG tasks; labelled flaky upstream'],
  'fibonacci-seq-conditional-param.yaml': ['Succeeded', 'recursion with conditional parameters; labelled environment upstream'],
  'k8s-set-owner-reference.yaml': ['Succeeded', 'a resource step creates a ConfigMap owned by the workflow; labelled environment upstream (its cluster\'s RBAC)'],
  'k8s-wait-wf.yaml': ['Succeeded', 'a resource step creates a workflow, another waits for its successCondition; labelled flaky upstream'],
  'resource-delete-with-flags.yaml': ['Succeeded', 'a resource step deletes by `--selector`; labelled environment upstream'],
  'workflow-of-workflows.yaml': ['Succeeded', 'resource steps create workflows from a WorkflowTemplate and wait for them; labelled environment upstream'],
  'template-on-exit.yaml': ['Succeeded', 'a template-level onExit; labelled environment upstream'],
  'image-pull-secrets.yaml': ['Succeeded', 'imagePullSecrets are accepted with a warning (images are not pulled); labelled environment upstream'],
  'retry-conditional.yaml': ['Failed', 'its script exits 1 or 2, never 0: retried while the expression (a template tag in it) holds, it ends Failed at the first exit 1'],
};

/**
 * Examples whose outcome is random by design: a step that fails two times in three, retried 10
 * times, fails the workflow once in 86 runs on Argo as here. A miss is run again, twice at most,
 * so the suite is not flaky; the table says how many runs it took.
 */
const RANDOM = new Set(['retry-container.yaml', 'retry-script.yaml', 'workflow-template/retry-with-steps.yaml']);

/** Workflows run at once: enough to keep two cores busy while most examples sleep or wait. */
const CONCURRENCY = 8;
/** One example's limit, from submission to its end. */
const EXAMPLE_TIMEOUT_MS = 120_000;

type Outcome = 'Succeeded' | 'Failed';
interface Case {
  /** `dag-diamond.yaml`, or `workflow-template/steps.yaml`; `#2` after it for a file's second Workflow. */
  id: string;
  file: string;
  /** The document as upstream wrote it. */
  text: string;
  expect?: Outcome;
  /** Why it is not run. */
  skip?: string;
}
interface Result {
  phase: string;
  /** Runs it took (RANDOM examples only), when more than one. */
  runs?: number;
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
const supporting: { file: string; text: string; kind: string; name: string }[] = [];
for (const file of DIR ? yamlFiles(DIR) : []) {
  const rel = relative(DIR!, file);
  let n = 0;
  // Documents split as upstream splits them; each is sent as written, for Drover to parse.
  for (const text of readFileSync(file, 'utf8').split(/^---[ \t]*$/m)) {
    const doc = parseDocument(text).toJS() as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') continue;
    const metadata = (doc['metadata'] ?? {}) as { name?: string; labels?: Record<string, string> };
    if (SUPPORTING.has(String(doc['kind']))) supporting.push({ file, text, kind: String(doc['kind']), name: metadata.name ?? '' });
    if (doc['kind'] !== 'Workflow') continue;
    n++;
    const id = n === 1 ? rel : `${rel}#${n}`;
    const label = (metadata.labels ?? {})['workflows.argoproj.io/no-test'];
    const c: Case = { id, file, text };
    if (EXCLUDED[id]) c.skip = EXCLUDED[id];
    else if (EXPECT[id]) c.expect = EXPECT[id][0];
    else if (label === undefined) c.expect = 'Succeeded';
    else if (label === 'expected-failure') c.expect = 'Failed';
    // To see what the labelled examples do here: all expected to succeed.
    else if (process.env['DROVER_ARGO_EXAMPLES_LABELLED']) c.expect = 'Succeeded';
    else c.skip = `upstream does not run it (no-test: ${label})`;
    cases.push(c);
  }
}
for (const id of [...Object.keys(EXCLUDED), ...Object.keys(EXPECT), ...RANDOM]) if (!cases.some((c) => c.id === id)) throw new Error(`EXCLUDED, EXPECT or RANDOM names ${id}, which is not an example Workflow`);

/**
 * The shims, copied where the pods' user can reach them whatever the checkout's permissions (a
 * repository under /root is not): a directory on PATH under /tmp is bound into the sandbox.
 */
function shimDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-argo-shims-'));
  chmodSync(dir, 0o755);
  for (const f of readdirSync(join(REPO, 'scripts/images'))) {
    copyFileSync(join(REPO, 'scripts/images', f), join(dir, f));
    chmodSync(join(dir, f), 0o755);
  }
  return dir;
}
const SHIMS = DIR ? shimDir() : '';

const config = `images:
  argoproj/argosay: { entrypoint: [argosay], pathPrepend: [${SHIMS}] }
  docker/whalesay: { pathPrepend: [${SHIMS}] }
  python: { workingDir: / }
  node: { workingDir: / }
  debian: { workingDir: / }
`;

const ONLY = process.env['DROVER_ARGO_EXAMPLES_ONLY'];
const selected = (c: Case) => !ONLY || new RegExp(ONLY).test(c.id);

let d: Drover;
const results = new Map<string, Result>();
const notApplied: string[] = [];

async function runCase(c: Case): Promise<Result> {
  const started = Date.now();
  // On stdin, from the example's directory: what `drover create -f FILE` does with one document.
  const out = await d.cli(['create', '-f', '-'], c.text, dirname(c.file));
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
  d = await Drover.start({ cpus: '4', memory: '16Gi', config });
  for (const s of supporting) {
    const r = await d.cli(['apply', '-f', '-'], s.text, dirname(s.file));
    const what = `${relative(DIR, s.file)} (${s.kind} ${s.name})`;
    // Only the Workflows that use it need it: they fail, and say why, if it is missing.
    if (r.code !== 0) notApplied.push(`${what}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  }
  const queue = cases.filter((c) => c.expect && selected(c));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        let r = await runCase(c);
        for (let run = 2; RANDOM.has(c.id) && r.phase !== c.expect && run <= 3; run++) r = { ...(await runCase(c)), runs: run };
        results.set(c.id, r);
      }
    }),
  );
});

after(async () => {
  await d?.stop();
  if (SHIMS) rmSync(SHIMS, { recursive: true, force: true });
  if (!DIR) return;
  const rows = cases.filter(selected).map((c) => {
    const r = results.get(c.id);
    const verdict = c.skip ? 'excluded' : r?.phase === c.expect ? 'pass' : 'FAIL';
    const detail = c.skip ?? (r ? `${r.phase}${r.phase !== c.expect ? ` (expected ${c.expect}) ${r.message} ${r.nodes}` : ''} in ${r.seconds.toFixed(1)}s${r.runs ? ` (run ${r.runs} times: its outcome is random)` : ''}` : 'not run');
    return `${verdict.padEnd(8)} ${c.id.padEnd(62)} ${detail}`;
  });
  const count = (v: string) => rows.filter((r) => r.startsWith(v)).length;
  console.log(`\nArgo examples (${DIR}): ${count('pass')} pass, ${count('FAIL')} fail, ${count('excluded')} excluded\n${rows.join('\n')}\n`);
  if (notApplied.length) console.log(`Templates and objects Drover refused (the examples using them are excluded or fail):\n${notApplied.join('\n')}\n`);
});

for (const c of cases) {
  const why = EXPECT[c.id] ? ` (${EXPECT[c.id]![1]})` : ', as upstream expects';
  test(`argo example ${c.id}${c.expect ? ` ends ${c.expect}${why}` : ''}`, { skip: c.skip ?? (selected(c) ? false : 'not in DROVER_ARGO_EXAMPLES_ONLY') }, () => {
    const r = results.get(c.id);
    assert.ok(r, 'it did not run');
    assert.equal(r.phase, c.expect, `${c.id}: ${r.message}\n${r.nodes}`);
  });
}

if (!DIR) test('the Argo examples run', { skip: 'the Argo examples could not be fetched (scripts/argo-examples.sh; DROVER_REQUIRE_ARGO_EXAMPLES=1 fails instead)' }, () => {});
