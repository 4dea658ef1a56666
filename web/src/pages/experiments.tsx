/** Katib experiments: the list, and one experiment's trials, its objective per trial with the best so far, and its optimal trial. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { KATIB, collection, type Obj } from '../api.js';
import { age, conditions } from '../format.js';
import { useWatch } from '../hooks.js';
import { Badge, Conditions, Section, Table, Yaml, link } from '../parts.js';
import { oneObject, remove } from './jobs.js';
import { NewExperiment } from './new-experiment.js';

/** The last true condition's type: Created, Running, Succeeded, Failed, EarlyStopped… */
function state(o: Obj): string {
  const c = conditions(o).filter((x) => x.status === 'True');
  return c[c.length - 1]?.type ?? 'Created';
}

interface Objective {
  type: 'maximize' | 'minimize';
  metric: string;
  strategy: 'min' | 'max' | 'latest';
}

function objectiveOf(exp: Obj): Objective {
  const o = exp.spec?.objective ?? {};
  const type = o.type === 'minimize' ? 'minimize' : 'maximize';
  const metric = o.objectiveMetricName ?? '';
  const s = (o.metricStrategies ?? []).find((m: { name: string }) => m.name === metric)?.value;
  return { type, metric, strategy: s ?? (type === 'minimize' ? 'min' : 'max') };
}

/** A trial's objective value as Katib reads it (the metric's strategy), or undefined before one is observed. */
export function trialValue(trial: Obj, obj: Objective): number | undefined {
  const m = (trial.status?.observation?.metrics ?? []).find((x: { name: string }) => x.name === obj.metric) as Record<string, string> | undefined;
  const v = m ? Number(m[obj.strategy] ?? m['latest']) : NaN;
  return Number.isFinite(v) ? v : undefined;
}

function Chart({ points, objective }: { points: { n: number; value: number | null; best: number | null; stopped: boolean }[]; objective: Objective }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  // The best-so-far line first, so each trial's point is drawn over it.
  const data: uPlot.AlignedData = [points.map((p) => p.n), points.map((p) => p.best), points.map((p) => (p.stopped ? null : p.value)), points.map((p) => (p.stopped ? p.value : null))];
  useEffect(() => {
    if (!el.current) return;
    plot.current = new uPlot({
      width: Math.max(320, el.current.clientWidth || 640), height: 260,
      scales: { x: { time: false } },
      axes: [{ label: 'trial', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, { label: objective.metric }],
      series: [
        { label: 'trial' },
        { label: objective.type === 'minimize' ? 'lowest so far' : 'highest so far', stroke: '#4e9a06', width: 2, points: { show: false } },
        { label: objective.metric, stroke: '#3465a4', width: 0, points: { show: true, size: 8, fill: '#3465a4' } },
        { label: 'early stopped', stroke: '#c4302b', width: 0, points: { show: true, size: 8, fill: '#fff' } },
      ],
    }, data, el.current);
    return () => plot.current?.destroy();
  }, [objective.metric, objective.type]);
  useEffect(() => plot.current?.setData(data), [JSON.stringify(data)]);
  return <div ref={el} class="chart" data-testid="objective-chart" data-points={points.filter((p) => p.value !== null).length} />;
}

/**
 * Parallel coordinates: one vertical axis per parameter and one for the objective, each trial a
 * line across them, darker the better its objective. Numbers scale to their axis's range;
 * categories spread evenly in the order first seen.
 */
function Parallel({ names, rows, objective }: { names: string[]; rows: { values: Record<string, string>; value: number | null }[]; objective: Objective }) {
  const done = rows.filter((r) => r.value !== null);
  if (done.length === 0 || names.length === 0) return <p class="muted">No finished trial yet.</p>;
  const axes = [...names, objective.metric];
  const W = Math.max(480, axes.length * 160);
  const H = 240;
  const top = 20;
  const bottom = H - 30;
  const x = (i: number) => 60 + (i * (W - 120)) / Math.max(1, axes.length - 1);
  const scales = axes.map((a, i) => {
    const raw = done.map((r) => (i === axes.length - 1 ? String(r.value) : r.values[a] ?? ''));
    const nums = raw.map(Number);
    if (nums.every((n) => Number.isFinite(n))) {
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      return { y: (v: string) => bottom - ((Number(v) - lo) / (hi - lo || 1)) * (bottom - top), lo: String(Number(lo.toPrecision(3))), hi: String(Number(hi.toPrecision(3))) };
    }
    const cats = [...new Set(raw)];
    return { y: (v: string) => bottom - (cats.indexOf(v) / Math.max(1, cats.length - 1)) * (bottom - top), lo: cats[0] ?? '', hi: cats[cats.length - 1] ?? '' };
  });
  const values = done.map((r) => r.value!);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const goodness = (v: number) => (hi === lo ? 1 : objective.type === 'minimize' ? (hi - v) / (hi - lo) : (v - lo) / (hi - lo));
  return (
    <svg class="parallel" width={W} height={H} data-testid="parallel" data-lines={done.length}>
      {axes.map((a, i) => (
        <g>
          <line x1={x(i)} x2={x(i)} y1={top} y2={bottom} class="axis" />
          <text x={x(i)} y={H - 10} class="axis-name">{a}</text>
          <text x={x(i) + 4} y={top + 4} class="axis-tick">{scales[i]!.hi}</text>
          <text x={x(i) + 4} y={bottom} class="axis-tick">{scales[i]!.lo}</text>
        </g>
      ))}
      {done.map((r) => (
        <polyline class="trial-line" stroke-opacity={0.25 + 0.75 * goodness(r.value!)} points={axes.map((a, i) => `${x(i)},${scales[i]!.y(i === axes.length - 1 ? String(r.value) : r.values[a] ?? '')}`).join(' ')} />
      ))}
    </svg>
  );
}

export function ExperimentsPage({ ns }: { ns: string }) {
  const exps = useWatch(collection(KATIB, 'experiments', ns));
  const [creating, setCreating] = useState(false);
  const namespace = ns || 'default';
  const rows = exps.items.map((e) => {
    const best = e.status?.currentOptimalTrial;
    const metric = objectiveOf(e).metric;
    const value = (best?.observation?.metrics ?? []).find((m: { name: string }) => m.name === metric);
    return [
      <a href={link('experiments', e.metadata.namespace!, e.metadata.name)}>{e.metadata.name}</a>,
      ns ? '' : e.metadata.namespace ?? '',
      <Badge status={state(e)} />,
      `${e.status?.trialsSucceeded ?? 0} succeeded, ${e.status?.trialsRunning ?? 0} running, ${e.status?.trialsFailed ?? 0} failed`,
      value ? `${metric} = ${value.latest ?? value.max ?? value.min}` : '',
      age(e.metadata.creationTimestamp),
    ];
  });
  return (
    <div>
      <h1>Experiments</h1>
      <div class="toolbar"><button onClick={() => setCreating(!creating)} data-testid="new-experiment">{creating ? 'Close the form' : 'New experiment'}</button></div>
      {creating && <NewExperiment namespace={namespace} onCreated={(name) => (location.hash = link('experiments', namespace, name))} />}
      <Table head={['Name', 'Namespace', 'State', 'Trials', 'Best', 'Age']} rows={rows} empty={exps.error ?? 'No experiments.'} />
    </div>
  );
}

export function ExperimentDetail({ namespace, name }: { namespace: string; name: string }) {
  const live = useWatch(oneObject(KATIB, 'experiments', namespace, name));
  const trials = useWatch(`${collection(KATIB, 'trials', namespace)}?labelSelector=${encodeURIComponent(`katib.kubeflow.org/experiment=${name}`)}`);
  const [sortBy, setSortBy] = useState<'trial' | 'objective'>('trial');
  const exp = live.items[0];
  if (!exp) return <p class="muted">{live.error ?? (live.loaded ? `Experiment ${namespace}/${name} is gone.` : 'Loading…')}</p>;
  const objective = objectiveOf(exp);
  const better = (a: number, b: number) => (objective.type === 'minimize' ? a < b : a > b);
  const ordered = [...trials.items].sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || a.metadata.name.localeCompare(b.metadata.name));
  let best: number | null = null;
  const points = ordered.map((t, i) => {
    const v = state(t) === 'Succeeded' || state(t) === 'EarlyStopped' ? trialValue(t, objective) : undefined;
    if (v !== undefined && (best === null || better(v, best))) best = v;
    return { n: i + 1, value: v ?? null, best, trial: t, stopped: state(t) === 'EarlyStopped' };
  });
  const paramNames = (exp.spec?.parameters ?? []).map((p: { name: string }) => p.name) as string[];
  const table = [...points];
  if (sortBy === 'objective') table.sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : better(a.value, b.value) ? -1 : 1));
  const optimal = exp.status?.currentOptimalTrial;
  return (
    <div>
      <h1>Experiment {namespace}/{name} <Badge status={state(exp)} /></h1>
      <div class="toolbar"><button class="danger" onClick={() => remove(`${collection(KATIB, 'experiments', namespace)}/${encodeURIComponent(name)}`, `experiment ${name}`).then(() => (location.hash = '#/experiments'))}>Delete</button></div>
      <p>Objective: {objective.type} {objective.metric}{exp.spec?.objective?.goal !== undefined ? ` (goal ${exp.spec.objective.goal})` : ''} · algorithm {exp.spec?.algorithm?.algorithmName ?? '—'}</p>
      <Section title="Objective per trial"><Chart points={points} objective={objective} /></Section>
      <Section title="Parameters against the objective">
        <Parallel names={paramNames} objective={objective} rows={points.map((p) => ({ value: p.value, values: Object.fromEntries(((p.trial.spec?.parameterAssignments ?? []) as { name: string; value: string }[]).map((a) => [a.name, a.value])) }))} />
      </Section>
      <Section title="Optimal trial">
        {optimal?.bestTrialName ? (
          <p data-testid="optimal">{optimal.bestTrialName}: {(optimal.parameterAssignments ?? []).map((p: { name: string; value: string }) => `${p.name}=${p.value}`).join(', ')} → {(optimal.observation?.metrics ?? []).map((m: { name: string; latest: string }) => `${m.name}=${m.latest}`).join(', ')}</p>
        ) : <p class="muted">No trial has finished yet.</p>}
      </Section>
      <Section title="Trials">
        <div class="toolbar"><label>Sort by <select value={sortBy} onChange={(e) => setSortBy((e.target as HTMLSelectElement).value as 'trial' | 'objective')}><option value="trial">trial number</option><option value="objective">objective</option></select></label></div>
        <Table
          head={['#', 'Trial', 'State', ...paramNames, objective.metric]}
          rows={table.map((p) => {
            const assigned = Object.fromEntries(((p.trial.spec?.parameterAssignments ?? []) as { name: string; value: string }[]).map((a) => [a.name, a.value]));
            return [String(p.n), p.trial.metadata.name, <Badge status={state(p.trial)} />, ...paramNames.map((n) => assigned[n] ?? ''), p.value === null ? '' : String(p.value)];
          })}
          empty={trials.error ?? 'No trials yet.'}
        />
      </Section>
      <Section title="Conditions"><Conditions obj={exp} /></Section>
      <Yaml obj={exp} />
    </div>
  );
}
