/**
 * The dashboard's forms against the server's own checks: the Experiment the New experiment form
 * makes (web/src/pages/new-experiment.tsx, bundled with esbuild as the dashboard's build does) is
 * loaded by the same manifest loader `drover apply` uses, for every parameter type and every
 * algorithm the form offers; and each error the server gives lands beside the part of the form it
 * concerns. The training page's replica table reads both status shapes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { stringify } from 'yaml';
import { ValidationError, formatIssue } from '../src/api/errors.js';
import { loadServerParts, manifestLoader } from '../src/registry.js';
import { REPO } from './drover.js';

interface Form { name: string; metric: string; type: 'maximize' | 'minimize'; goal: string; algorithm: string; settings: string; parameters: { name: string; type: string; min: string; max: string; step: string; list: string }[]; maxTrials: number; parallel: number; maxFailed: number; image: string; command: string }
interface Web {
  ALGORITHMS: string[];
  DEFAULT_FORM: Form;
  FILE: string;
  formExperiment(f: Form, ns: string): Record<string, unknown>;
  causePlace(c: { field?: string; message: string }): string;
  replicaRows(job: { metadata: { name: string }; status?: unknown }): { name: string; active: number; succeeded: number; failed: number }[];
}

let web: Web;
let dir: string;
const loader = await manifestLoader(await loadServerParts());

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-forms-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, `export * from ${JSON.stringify(join(REPO, 'web/src/pages/new-experiment.tsx'))};\nexport { replicaRows } from ${JSON.stringify(join(REPO, 'web/src/pages/training.tsx'))};\n`);
  const out = join(dir, 'web.mjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, format: 'esm', platform: 'neutral', jsx: 'automatic', jsxImportSource: 'preact', logLevel: 'warning', nodePaths: [join(REPO, 'node_modules')] });
  web = (await import(pathToFileURL(out).href)) as Web;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PARAMETERS = [
  { name: 'lr', type: 'double', min: '0.001', max: '0.1', step: '', list: '' },
  { name: 'layers', type: 'int', min: '1', max: '4', step: '', list: '' },
  { name: 'optimizer', type: 'categorical', min: '', max: '', step: '', list: 'sgd, adam' },
  { name: 'batch', type: 'discrete', min: '', max: '', step: '', list: '16, 32, 64' },
];

const COMMAND = 'echo "accuracy=${trialParameters.lr} layers=${trialParameters.layers} ${trialParameters.optimizer} ${trialParameters.batch}"';

async function load(f: Form): Promise<unknown> {
  return loader.load(stringify(web.formExperiment(f, 'default')), web.FILE);
}

test('the form’s Experiment passes the server’s checks for every parameter type and every algorithm it offers', async () => {
  const failed: string[] = [];
  for (const algorithm of web.ALGORITHMS) {
    // Grid search needs a step on a double, as Katib's grid does.
    const parameters = algorithm === 'grid' ? PARAMETERS.map((p) => (p.type === 'double' ? { ...p, step: '0.033' } : p)) : PARAMETERS;
    try {
      // Hyperband needs its budget and the parameter it grows.
      const settings = algorithm === 'hyperband' ? 'r_l=9, resource_name=layers' : algorithm === 'random' ? 'random_state=3' : '';
      await load({ ...web.DEFAULT_FORM, name: `tune-${algorithm}`, algorithm, settings, parameters, command: COMMAND, goal: '0.99' });
    } catch (err) {
      failed.push(`${algorithm}: ${err instanceof ValidationError ? err.issues.map((i) => i.message).join('; ') : (err as Error).message}`);
    }
  }
  assert.deepEqual(failed, []);
});

test('each error the server gives about the form’s Experiment lands beside its part of the form', async () => {
  const causes = async (f: Form) => {
    try {
      await load(f);
    } catch (err) {
      assert.ok(err instanceof ValidationError, String(err));
      // As the API sends them (a 422's details.causes).
      return err.issues.map((i) => ({ field: i.path, message: formatIssue(i) }));
    }
    assert.fail('the server took it');
  };
  const base = { ...web.DEFAULT_FORM, name: 'bad', parameters: PARAMETERS, command: COMMAND };
  const budget = await causes({ ...base, maxTrials: 2, parallel: 3 });
  assert.deepEqual(budget.map(web.causePlace), ['budget'], JSON.stringify(budget));
  const param = await causes({ ...base, parameters: PARAMETERS.map((p, i) => (i === 1 ? { ...p, min: 'many' } : p)) });
  assert.ok(param.length > 0 && param.every((c) => web.causePlace(c) === 'parameter-1'), JSON.stringify(param));
  const objective = await causes({ ...base, metric: '' });
  assert.ok(objective.some((c) => web.causePlace(c) === 'objective'), JSON.stringify(objective));
  const settings = await causes({ ...base, algorithm: 'hyperband' });
  assert.ok(settings.length > 0 && settings.every((c) => web.causePlace(c) === 'algorithm'), JSON.stringify(settings));
  const unused = await causes({ ...base, command: 'echo "accuracy=${trialParameters.lr}"' });
  assert.ok(unused.length === 3 && unused.every((c) => web.causePlace(c) === 'trial'), JSON.stringify(unused));
  // The place is read from the message when a cause has no field.
  assert.equal(web.causePlace({ message: 'experiment.yaml:12:5: spec.trialTemplate.trialSpec: bad' }), 'trial');
  assert.equal(web.causePlace({ message: 'experiment.yaml:3:3: metadata.name: bad' }), 'name');
});

test('the training page reads replica statuses by type (v1 jobs, MPIJob) and per replicated job (TrainJob)', () => {
  assert.deepEqual(web.replicaRows({ metadata: { name: 'j' }, status: { replicaStatuses: { Master: { succeeded: 1 }, Worker: { active: 2, failed: 1 } } } }), [
    { name: 'Master', active: 0, succeeded: 1, failed: 0 },
    { name: 'Worker', active: 2, succeeded: 0, failed: 1 },
  ]);
  assert.deepEqual(web.replicaRows({ metadata: { name: 't' }, status: { jobsStatus: [{ name: 'node', active: 1, ready: 1, succeeded: 0, failed: 0, suspended: 0 }] } }), [{ name: 'node', active: 1, succeeded: 0, failed: 0 }]);
  assert.deepEqual(web.replicaRows({ metadata: { name: 'n' } }), []);
});
