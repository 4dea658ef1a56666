/**
 * Kubeflow Trainer's OptimizationJob end to end: a real `drover up`, the example as a user applies
 * it, its trials as real TrainJobs whose pods push their progress and metrics to the TrainJob
 * status endpoint with the token Drover mounted; the Kubeflow SDK's own status reporter against
 * the same endpoint; and what that token may not do.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, EXAMPLES, REPO } from './drover.js';

interface TrainJob {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[]; trainerStatus?: { progressPercentage?: number; metrics?: { name: string; value: string }[] } };
}
interface OptimizationJob {
  status?: { phase?: string; succeeded?: number; failed?: number; active?: number; bestTrial?: { name: string; value: string; parameters: { name: string; value: string }[] }; conditions?: { type: string; status: string; reason: string; message: string }[] };
}

const PYTHON = execFileSync('bash', [join(REPO, 'scripts', 'python-clients.sh'), 'path'], { encoding: 'utf8' }).trim();

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '4Gi' });
});
after(async () => {
  await d?.stop();
});

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 180_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 3000)}\nserver:\n${d.logs.slice(-3000)}`);
}

const valLoss = (t: TrainJob) => Number(t.status?.trainerStatus?.metrics?.find((m) => m.name === 'val_loss')?.value);

test('the OptimizationJob example: 8 TPE trials as TrainJobs, each pushing progress and val_loss; the best trial is the lowest loss', async () => {
  await d.ok(['apply', '-f', join(EXAMPLES, 'optimization')]);
  const job = await until('tune-logreg to end', () => d.json<OptimizationJob>(['get', 'optimizationjob', 'tune-logreg']), (j) => j.status?.phase === 'Succeeded' || j.status?.phase === 'Failed');
  assert.equal(job.status?.phase, 'Succeeded', JSON.stringify(job.status));
  assert.equal(job.status?.succeeded, 8);
  assert.equal(job.status?.conditions?.find((c) => c.type === 'Succeeded')?.reason, 'MaxTrialsReached');
  const trials = (await d.json<{ items: TrainJob[] }>(['get', 'trainjobs', '-l', 'trainer.kubeflow.org/optimizationjob-name=tune-logreg'])).items;
  assert.equal(trials.length, 8);
  for (const t of trials) {
    assert.equal(t.status?.trainerStatus?.progressPercentage, 100, `${t.metadata.name} pushed its last epoch`);
    assert.ok(Number.isFinite(valLoss(t)), `${t.metadata.name} pushed val_loss`);
    assert.equal(t.metadata.labels?.['example'], 'optimization', 'the template\'s labels');
    // The values the trial ran with are the ones it was given.
    const params = JSON.parse(t.metadata.annotations?.['trainer.kubeflow.org/trial-parameters'] ?? '{}') as Record<string, string>;
    assert.match(await d.ok(['logs', `trainjob/${t.metadata.name}`]), new RegExp(`lr=${Number(params['lr'])} epochs=${params['epochs']} optimizer=${params['optimizer']} val_loss=`));
  }
  const best = trials.reduce((a, b) => (valLoss(b) < valLoss(a) ? b : a));
  assert.equal(job.status?.bestTrial?.name, best.metadata.name);
  assert.equal(Number(job.status?.bestTrial?.value), valLoss(best));
  assert.deepEqual(job.status?.bestTrial?.parameters.map((p) => p.name).sort(), ['epochs', 'lr', 'optimizer']);
  const table = await d.ok(['get', 'optimizationjobs']);
  assert.match(table, /^NAME\s+STATE\s+ALGORITHM\s+TRIALS\s+BEST\s+AGE$/m);
  assert.match(table, new RegExp(`^tune-logreg\\s+Succeeded\\s+tpe\\s+8/8\\s+val_loss=${job.status!.bestTrial!.value.replace('.', '\\.')}\\s`, 'm'));
  assert.match(await d.ok(['get', 'trainjobs']), /^tune-logreg-0\s+Complete\s+\s*100\s/m);
});

test("a trial's token is good for its own TrainJob's status push only; a malformed push is refused by field", async () => {
  const secret = await d.json<{ data: { token: string } }>(['get', 'secret', 'tune-logreg-0-trainer-status']);
  const token = Buffer.from(secret.data.token, 'base64').toString();
  const push = (name: string, body: unknown) => fetch(`${d.url}/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs/${name}/trainerstatus`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const own = await push('tune-logreg-0', { trainerStatus: { progressPercentage: 100, metrics: [{ name: 'val_loss', value: '0.5' }] } });
  assert.equal(own.status, 200, await own.text());
  assert.equal((await push('tune-logreg-1', { trainerStatus: { progressPercentage: 1 } })).status, 401, "another trial's status");
  assert.equal((await fetch(`${d.url}/api/v1/namespaces/default/pods`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'the API at large');
  const bad = await push('tune-logreg-0', { trainerStatus: { progressPercentage: 140, metrics: [{ name: 'loss', value: 0.3 }] } });
  assert.equal(bad.status, 422);
  const message = ((await bad.json()) as { message: string }).message;
  assert.match(message, /trainerStatus\.progressPercentage: expected an integer from 0 to 100, got 140/);
  assert.match(message, /trainerStatus\.metrics\[0\]\.value: expected a non-empty string \(values travel as strings\), got 0\.3/);
});

test("the Kubeflow SDK's update_trainjob_status reports to a TrainJob through the variables and token file Drover gives its pods", { skip: existsSync(PYTHON) ? undefined : `no Python clients at ${PYTHON}` }, async () => {
  // The pod's environment as the trainer controller set it, read back from the pod.
  const pod = await d.json<{ spec: { containers: { env?: { name: string; value?: string }[] }[] } }>(['get', 'pod', 'tune-logreg-2-node-0-0']);
  const env = Object.fromEntries((pod.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value ?? '']));
  assert.equal(env['KUBEFLOW_TRAINER_SERVER_TOKEN'], '/var/run/secrets/kubeflow/trainer/token');
  assert.match(env['KUBEFLOW_TRAINER_SERVER_URL'] ?? '', /\/apis\/trainer\.kubeflow\.org\/v1alpha1\/namespaces\/default\/trainjobs\/tune-logreg-2\/trainerstatus$/);
  // The same call from this machine: the URL with this server's address, the token in a file.
  const secret = await d.json<{ data: { token: string } }>(['get', 'secret', 'tune-logreg-2-trainer-status']);
  const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
  execFileSync('bash', ['-c', `base64 -d > ${dir}/token`], { input: secret.data.token });
  const script = [
    'from kubeflow.trainer.backends.kubernetes.utils import update_trainjob_status',
    'print(update_trainjob_status(progress_percent=42, estimated_remaining_seconds=7, metrics={"val_loss": 0.25, "epoch": 3}))',
  ].join('\n');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(PYTHON, ['-c', script], {
      env: { ...process.env, KUBEFLOW_TRAINER_SERVER_URL: `${d.url}/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs/tune-logreg-2/trainerstatus`, KUBEFLOW_TRAINER_SERVER_TOKEN: `${dir}/token` },
      timeout: 60_000,
    }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  assert.equal(out.trim(), 'True', 'the SDK saw HTTP 200');
  const t = await d.json<TrainJob>(['get', 'trainjob', 'tune-logreg-2']);
  assert.equal(t.status?.trainerStatus?.progressPercentage, 42);
  assert.deepEqual(t.status?.trainerStatus?.metrics, [{ name: 'val_loss', value: '0.25' }, { name: 'epoch', value: '3' }]);
  assert.equal((t.status?.trainerStatus as { estimatedRemainingSeconds?: number }).estimatedRemainingSeconds, 7);
});
