/**
 * Distributed training jobs (Kubeflow's training operator v1 kinds, MPIJob v2beta1, Trainer v2's
 * TrainJob): a live list of one kind at a time (each watch holds one of the browser's six
 * connections to this server, so the kinds are tabs, not seven streams at once), and a job's
 * replica statuses, conditions, pods (each linked to its page with the log), events and YAML.
 */
import { collection, type Obj } from '../api.js';
import { age, conditions } from '../format.js';
import { useWatch } from '../hooks.js';
import { Badge, Conditions, Events, Section, Table, Yaml, link } from '../parts.js';
import { oneObject, remove } from './jobs.js';

interface TrainingKind {
  kind: string;
  plural: string;
  base: string;
  /** The label its pods carry with the job's name. */
  podLabel: string;
}

const OPERATOR_LABEL = 'training.kubeflow.org/job-name';

export const TRAINING_KINDS: TrainingKind[] = [
  ...['PyTorchJob', 'TFJob', 'XGBoostJob', 'JAXJob', 'PaddleJob'].map((kind) => ({ kind, plural: `${kind.toLowerCase()}s`, base: '/apis/kubeflow.org/v1', podLabel: OPERATOR_LABEL })),
  { kind: 'MPIJob', plural: 'mpijobs', base: '/apis/kubeflow.org/v2beta1', podLabel: OPERATOR_LABEL },
  { kind: 'TrainJob', plural: 'trainjobs', base: '/apis/trainer.kubeflow.org/v1alpha1', podLabel: 'jobset.sigs.k8s.io/jobset-name' },
];

const kindNamed = (k: string) => TRAINING_KINDS.find((t) => t.kind === k) ?? TRAINING_KINDS[0]!;

/** The last true condition's type (Created, Running, Restarting, Succeeded, Failed, Complete…). */
function state(o: Obj): string {
  const c = conditions(o).filter((x) => x.status === 'True');
  return c[c.length - 1]?.type ?? 'Created';
}

interface ReplicaRow {
  name: string;
  active: number;
  succeeded: number;
  failed: number;
}

/** Per replica type (v1 and MPIJob: `replicaStatuses`), or per replicated job (TrainJob: `jobsStatus`). */
export function replicaRows(job: Obj): ReplicaRow[] {
  const byType = job.status?.replicaStatuses as Record<string, { active?: number; succeeded?: number; failed?: number }> | undefined;
  if (byType) return Object.entries(byType).map(([name, s]) => ({ name, active: s.active ?? 0, succeeded: s.succeeded ?? 0, failed: s.failed ?? 0 }));
  const jobs = job.status?.jobsStatus as { name: string; active?: number; succeeded?: number; failed?: number }[] | undefined;
  return (jobs ?? []).map((j) => ({ name: j.name, active: j.active ?? 0, succeeded: j.succeeded ?? 0, failed: j.failed ?? 0 }));
}

/** What the job asked for: replicas per type, or a TrainJob's node count. */
function wanted(job: Obj): string {
  const specs = (job.spec?.pytorchReplicaSpecs ?? job.spec?.tfReplicaSpecs ?? job.spec?.xgbReplicaSpecs ?? job.spec?.jaxReplicaSpecs ?? job.spec?.paddleReplicaSpecs ?? job.spec?.mpiReplicaSpecs) as Record<string, { replicas?: number }> | undefined;
  if (specs) return Object.entries(specs).map(([t, s]) => `${t} ×${s.replicas ?? 1}`).join(', ');
  if (job.spec?.trainer?.numNodes !== undefined) return `${job.spec.trainer.numNodes} node(s)`;
  return '';
}

export function TrainingPage({ ns, kind }: { ns: string; kind: string }) {
  const k = kindNamed(kind);
  const live = useWatch(collection(k.base, k.plural, ns));
  const rows = [...live.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map((j) => [
    <a href={link('training', k.kind, j.metadata.namespace!, j.metadata.name)}>{j.metadata.name}</a>,
    ns ? '' : j.metadata.namespace ?? '',
    <Badge status={state(j)} />,
    wanted(j),
    replicaRows(j).map((r) => `${r.name}: ${r.active} active, ${r.succeeded} succeeded, ${r.failed} failed`).join(' · '),
    age(j.metadata.creationTimestamp),
  ]);
  return (
    <div>
      <h1>Training jobs</h1>
      <div class="toolbar tabs" data-testid="training-kinds">
        {TRAINING_KINDS.map((t) => <a href={link('training', t.kind)} class={t.kind === k.kind ? 'tab active' : 'tab'}>{t.kind}</a>)}
      </div>
      <Table head={['Name', 'Namespace', 'State', 'Replicas', 'Status', 'Age']} rows={rows} empty={live.error ?? `No ${k.kind}s.`} />
    </div>
  );
}

export function TrainingDetail({ kind, namespace, name }: { kind: string; namespace: string; name: string }) {
  const k = kindNamed(kind);
  const live = useWatch(oneObject(k.base, k.plural, namespace, name));
  const pods = useWatch(`${collection('/api/v1', 'pods', namespace)}?labelSelector=${encodeURIComponent(`${k.podLabel}=${name}`)}`);
  const job = live.items[0];
  if (!job) return <p class="muted">{live.error ?? (live.loaded ? `${k.kind} ${namespace}/${name} is gone.` : 'Loading…')}</p>;
  const podRows = [...pods.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map((p) => {
    const l = p.metadata.labels ?? {};
    const restarts = ((p.status?.containerStatuses ?? []) as { restartCount?: number }[]).reduce((n, c) => n + (c.restartCount ?? 0), 0);
    return [
      <a href={link('pods', namespace, p.metadata.name)} data-pod={p.metadata.name}>{p.metadata.name}</a>,
      l['training.kubeflow.org/replica-type'] ?? l['jobset.sigs.k8s.io/replicatedjob-name'] ?? '',
      l['training.kubeflow.org/replica-index'] ?? l['batch.kubernetes.io/job-completion-index'] ?? '',
      <Badge status={p.metadata.deletionTimestamp ? 'Terminating' : p.status?.phase ?? 'Pending'} />,
      String(restarts),
      age(p.metadata.creationTimestamp),
    ];
  });
  const self = `${collection(k.base, k.plural, namespace)}/${encodeURIComponent(name)}`;
  return (
    <div>
      <h1>{k.kind} {namespace}/{name} <Badge status={state(job)} /></h1>
      <div class="toolbar"><button class="danger" onClick={() => remove(self, `${k.kind} ${name}`).then(() => (location.hash = link('training', k.kind)))}>Delete</button></div>
      <p>{wanted(job)}{job.status?.startTime ? ` · started ${age(job.status.startTime)} ago` : ''}{job.status?.completionTime ? ` · finished ${age(job.status.completionTime)} ago` : ''}</p>
      <Section title="Replicas">
        <Table head={['Replica', 'Active', 'Succeeded', 'Failed']} rows={replicaRows(job).map((r) => [r.name, String(r.active), String(r.succeeded), String(r.failed)])} empty="No replica status yet." />
      </Section>
      <Section title="Pods (each with its log)">
        <Table head={['Pod', 'Replica', 'Index', 'Phase', 'Restarts', 'Age']} rows={podRows} empty={pods.error ?? 'No pods (not started, or cleaned up by its clean-pod policy).'} />
      </Section>
      <Section title="Conditions"><Conditions obj={job} /></Section>
      <Section title="Events"><Events obj={{ ...job, kind: k.kind }} /></Section>
      <Yaml obj={job} />
    </div>
  );
}
