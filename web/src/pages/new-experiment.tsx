/**
 * A new Katib Experiment from the browser, as Katib's UI offers it: a form (objective, algorithm,
 * parameters with their ranges, trial budget, the trial's image and command) or its YAML. Either
 * way the YAML goes to the same apply as `drover apply` (`mode: create`, file `experiment.yaml`),
 * so the server's checks are the only ones: each error it gives is shown beside the form's part it
 * names and under its line in the YAML.
 */
import { useState } from 'preact/hooks';
import { stringify } from 'yaml';
import { ApiError, type Obj } from '../api.js';
import { applyText, type Cause, ErrorListing } from './apply.js';

export const FILE = 'experiment.yaml';

/** Katib's search algorithms Drover runs (src/tuning). */
export const ALGORITHMS = ['random', 'grid', 'sobol', 'tpe', 'multivariate-tpe', 'bayesianoptimization', 'cmaes', 'hyperband'];

export interface ParameterRow {
  name: string;
  type: 'double' | 'int' | 'categorical' | 'discrete';
  min: string;
  max: string;
  step: string;
  /** Comma-separated, for categorical and discrete. */
  list: string;
}

export interface ExperimentForm {
  name: string;
  metric: string;
  type: 'maximize' | 'minimize';
  goal: string;
  algorithm: string;
  /** `name=value, name=value`: the algorithm's settings (random_state, hyperband's r_l and resource_name…). */
  settings: string;
  parameters: ParameterRow[];
  maxTrials: number;
  parallel: number;
  maxFailed: number;
  image: string;
  /** A shell command; `${trialParameters.NAME}` is each parameter's value. */
  command: string;
}

export const DEFAULT_FORM: ExperimentForm = {
  name: '',
  metric: 'accuracy',
  type: 'maximize',
  goal: '',
  algorithm: 'random',
  settings: '',
  parameters: [{ name: 'lr', type: 'double', min: '0.01', max: '0.1', step: '', list: '' }],
  maxTrials: 6,
  parallel: 2,
  maxFailed: 2,
  image: 'python:3.12',
  command: 'echo "accuracy=${trialParameters.lr}"',
};

const NAME = 'training-container';

/** The Experiment the form stands for: one trialParameter per parameter, of the same name; the trial a Job. */
export function formExperiment(f: ExperimentForm, namespace: string): Obj {
  const feasible = (p: ParameterRow) => {
    if (p.type === 'categorical' || p.type === 'discrete') return { list: p.list.split(',').map((v) => v.trim()).filter(Boolean) };
    return { min: p.min, max: p.max, ...(p.step ? { step: p.step } : {}) };
  };
  // A setting without `=` is kept as a name with an empty value: the server says what it expects.
  const settings = f.settings.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
    const eq = x.indexOf('=');
    return eq < 0 ? { name: x, value: '' } : { name: x.slice(0, eq).trim(), value: x.slice(eq + 1).trim() };
  });
  return {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Experiment',
    metadata: { name: f.name, namespace },
    spec: {
      objective: { type: f.type, objectiveMetricName: f.metric, ...(f.goal.trim() ? { goal: Number(f.goal) } : {}) },
      algorithm: { algorithmName: f.algorithm, ...(settings.length ? { algorithmSettings: settings } : {}) },
      parallelTrialCount: f.parallel,
      maxTrialCount: f.maxTrials,
      maxFailedTrialCount: f.maxFailed,
      parameters: f.parameters.map((p) => ({ name: p.name, parameterType: p.type, feasibleSpace: feasible(p) })),
      trialTemplate: {
        primaryContainerName: NAME,
        trialParameters: f.parameters.map((p) => ({ name: p.name, reference: p.name })),
        trialSpec: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: NAME, image: f.image, command: ['sh', '-c', f.command] }] } } },
        },
      },
    },
  };
}

/** The field path a cause names: its `field`, else what its message says after `file:line:col:`. */
export function causeField(c: Cause): string {
  if (c.field) return c.field;
  const m = /^[^:]+:\d+(?::\d+)?:\s*([^:\s]+):/.exec(c.message);
  return m?.[1] ?? '';
}

/** Where in the form a cause belongs: a parameter's row, or one of the sections. */
export function causePlace(c: Cause): string {
  const f = causeField(c);
  const p = /^spec\.parameters\[(\d+)\]/.exec(f);
  if (p) return `parameter-${p[1]}`;
  if (f.startsWith('spec.objective')) return 'objective';
  if (f.startsWith('spec.algorithm') || f.startsWith('spec.earlyStopping')) return 'algorithm';
  if (/^spec\.(maxTrialCount|parallelTrialCount|maxFailedTrialCount)/.test(f)) return 'budget';
  if (f.startsWith('spec.trialTemplate')) return 'trial';
  if (f.startsWith('metadata')) return 'name';
  return 'other';
}

function Errors({ causes, place }: { causes: Cause[]; place: string }) {
  const mine = causes.filter((c) => causePlace(c) === place);
  return <>{mine.map((c) => <p class="error" data-testid={`error-${place}`}>{c.message.replace(/^[^:]+:\d+(?::\d+)?:\s*/, '')}</p>)}</>;
}

export function NewExperiment({ namespace, onCreated }: { namespace: string; onCreated(name: string): void }) {
  const [f, setF] = useState<ExperimentForm>(DEFAULT_FORM);
  const [tab, setTab] = useState<'form' | 'yaml'>('form');
  const [text, setText] = useState('');
  // The YAML the last errors refer to (their line numbers are in it).
  const [sent, setSent] = useState('');
  const [causes, setCauses] = useState<Cause[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof ExperimentForm>(k: K, v: ExperimentForm[K]) => setF((x) => ({ ...x, [k]: v }));
  const setParam = (i: number, k: keyof ParameterRow, v: string) => set('parameters', f.parameters.map((p, j) => (j === i ? { ...p, [k]: v } : p)));
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  const toYaml = () => {
    setText(stringify(formExperiment(f, namespace)));
    setTab('yaml');
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const yaml = tab === 'form' ? stringify(formExperiment(f, namespace)) : text;
    setCauses([]);
    setError('');
    setSent(yaml);
    setBusy(true);
    try {
      const r = await applyText(namespace, FILE, yaml, 'create');
      const exp = r.results.find((x) => x.kind === 'Experiment');
      onCreated(exp?.name ?? f.name);
    } catch (err) {
      setError((err as Error).message);
      if (err instanceof ApiError) setCauses(err.causes);
    } finally {
      setBusy(false);
    }
  };
  const other = causes.filter((c) => causePlace(c) === 'other');
  return (
    <form class="launcher card" onSubmit={submit} data-testid="experiment-form">
      <h3>New experiment in {namespace}</h3>
      <div class="toolbar tabs">
        <button type="button" class={tab === 'form' ? 'active' : ''} onClick={() => setTab('form')}>Form</button>
        <button type="button" class={tab === 'yaml' ? 'active' : ''} onClick={toYaml} data-testid="yaml-tab">YAML</button>
      </div>
      {tab === 'form' ? (
        <>
          <label>Name <input name="name" required value={f.name} onInput={(e) => set('name', value(e))} /></label>
          <Errors causes={causes} place="name" />
          <fieldset>
            <legend>Objective</legend>
            <label>Metric <input name="metric" value={f.metric} onInput={(e) => set('metric', value(e))} /></label>
            <label>Goal <select name="type" value={f.type} onChange={(e) => set('type', value(e) as ExperimentForm['type'])}><option value="maximize">maximize</option><option value="minimize">minimize</option></select></label>
            <label>Stop at <input name="goal" placeholder="(optional)" value={f.goal} onInput={(e) => set('goal', value(e))} /></label>
            <Errors causes={causes} place="objective" />
          </fieldset>
          <fieldset>
            <legend>Search</legend>
            <label>Algorithm <select name="algorithm" value={f.algorithm} onChange={(e) => set('algorithm', value(e))}>{ALGORITHMS.map((a) => <option value={a}>{a}</option>)}</select></label>
            <label>Settings <input name="settings" placeholder="name=value, … (optional; hyperband: r_l=9, resource_name=epochs)" value={f.settings} onInput={(e) => set('settings', value(e))} /></label>
            <Errors causes={causes} place="algorithm" />
            <table class="params">
              <thead><tr><th>Parameter</th><th>Type</th><th>Min</th><th>Max</th><th>Step</th><th>Values (comma-separated)</th><th /></tr></thead>
              <tbody>
                {f.parameters.map((p, i) => (
                  <>
                    <tr data-parameter={i}>
                      <td><input name={`param-name-${i}`} value={p.name} onInput={(e) => setParam(i, 'name', value(e))} /></td>
                      <td><select name={`param-type-${i}`} value={p.type} onChange={(e) => setParam(i, 'type', value(e))}>{['double', 'int', 'categorical', 'discrete'].map((t) => <option value={t}>{t}</option>)}</select></td>
                      <td><input name={`param-min-${i}`} size={6} disabled={p.type === 'categorical' || p.type === 'discrete'} value={p.min} onInput={(e) => setParam(i, 'min', value(e))} /></td>
                      <td><input name={`param-max-${i}`} size={6} disabled={p.type === 'categorical' || p.type === 'discrete'} value={p.max} onInput={(e) => setParam(i, 'max', value(e))} /></td>
                      <td><input name={`param-step-${i}`} size={6} disabled={p.type === 'categorical' || p.type === 'discrete'} value={p.step} onInput={(e) => setParam(i, 'step', value(e))} /></td>
                      <td><input name={`param-list-${i}`} disabled={p.type !== 'categorical' && p.type !== 'discrete'} value={p.list} onInput={(e) => setParam(i, 'list', value(e))} /></td>
                      <td><button type="button" onClick={() => set('parameters', f.parameters.filter((_, j) => j !== i))}>Remove</button></td>
                    </tr>
                    {causes.some((c) => causePlace(c) === `parameter-${i}`) && <tr><td colSpan={7}><Errors causes={causes} place={`parameter-${i}`} /></td></tr>}
                  </>
                ))}
              </tbody>
            </table>
            <button type="button" class="start" onClick={() => set('parameters', [...f.parameters, { name: '', type: 'double', min: '', max: '', step: '', list: '' }])}>Add a parameter</button>
          </fieldset>
          <fieldset>
            <legend>Trials</legend>
            <label>At most <input name="max-trials" type="number" min="1" value={f.maxTrials} onInput={(e) => set('maxTrials', Number(value(e)))} /></label>
            <label>In parallel <input name="parallel" type="number" min="1" value={f.parallel} onInput={(e) => set('parallel', Number(value(e)))} /></label>
            <label>Failed trials allowed <input name="max-failed" type="number" min="0" value={f.maxFailed} onInput={(e) => set('maxFailed', Number(value(e)))} /></label>
            <Errors causes={causes} place="budget" />
            <label>Image <input name="image" value={f.image} onInput={(e) => set('image', value(e))} /></label>
            <label>Command (sh -c) <input name="command" value={f.command} onInput={(e) => set('command', value(e))} /></label>
            <p class="muted"><code>{'${trialParameters.NAME}'}</code> is a parameter's value (each parameter must be used); the trial prints <code>{f.metric || 'metric'}=VALUE</code> on its standard output.</p>
            <Errors causes={causes} place="trial" />
          </fieldset>
        </>
      ) : (
        <>
          <p class="muted">The form's experiment as YAML: edit it freely; Create sends this text. Going back to the form keeps the form as it was.</p>
          <textarea class="yaml" data-testid="experiment-yaml" spellcheck={false} rows={24} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </>
      )}
      <div class="toolbar"><button type="submit" disabled={busy}>Create</button></div>
      {error && causes.length === 0 && <p class="error" data-testid="experiment-error">{error}</p>}
      {tab === 'form' && other.map((c) => <p class="error">{c.message}</p>)}
      {causes.length > 0 && (tab === 'yaml' || other.length > 0) && <ErrorListing text={sent} causes={causes} file={FILE} />}
    </form>
  );
}
