/**
 * The environment each framework's processes expect, as the training operator sets it (pure).
 *
 * PyTorch: every container gets PYTHONUNBUFFERED; with a Master, MASTER_ADDR/PORT (and the PET_
 * forms torchrun reads), WORLD_SIZE (replicas × nprocPerNode when that is a number), RANK (master 0,
 * worker i+1), PET_NPROC_PER_NODE and PET_NODE_RANK; PET_NNODES (a range under elasticPolicy,
 * with the rendezvous variables). TensorFlow: TF_CONFIG in the `tensorflow` container of a job of
 * more than one replica, each address `<job>-<type>-<i>.<namespace>.svc:<port>`. XGBoost:
 * MASTER_ADDR/PORT, WORLD_SIZE, RANK, WORKER_ADDRS/PORT. JAX: COORDINATOR_ADDRESS/PORT (worker 0),
 * NUM_PROCESSES, PROCESS_ID. Paddle: PYTHONUNBUFFERED, PADDLE_JOB_ID, PADDLE_NNODES, PADDLE_MASTER
 * (the rendezvous replica's own pod IP there, its name elsewhere) and, with a Master (parameter-server
 * mode), PADDLE_SERVER_NUM or PADDLE_TRAINER_NUM.
 */
import type { EnvVar } from '../../api/types.js';
import { type Framework, type ReplicaSpec, type TrainingJob, JAX, PADDLE, PYTORCH, TENSORFLOW, XGBOOST, defaultContainer, replicaSpecs } from './types.js';

/** `<job>-<type lowercased>-<index>`: the pod's name, its hostname and its Service's name. */
export function replicaName(job: string, type: string, index: number): string {
  return `${job}-${type.toLowerCase()}-${index}`;
}

/** The port a replica type listens on: its default container's port named as upstream names it. */
export function replicaPort(fw: Framework, spec: ReplicaSpec | undefined): number | undefined {
  const c = defaultContainer(fw, spec?.template?.spec?.containers ?? []);
  return c?.ports?.find((p) => p.name === fw.portName)?.containerPort;
}

function totalReplicas(fw: Framework, job: TrainingJob): number {
  return replicaSpecs(fw, job).reduce((n, [, s]) => n + (s.replicas ?? 1), 0);
}

function pytorchEnv(job: TrainingJob, type: string, index: number): EnvVar[] {
  const name = job.metadata.name!;
  const specs = new Map(replicaSpecs(PYTORCH, job));
  const env: EnvVar[] = [{ name: 'PYTHONUNBUFFERED', value: '0' }];
  const total = totalReplicas(PYTORCH, job);
  const nproc = job.spec.nprocPerNode ?? 'auto';
  const perNode = /^\d+$/.test(nproc) ? Number(nproc) : 1;
  const master = specs.get('Master');
  if (master) {
    const port = String(replicaPort(PYTORCH, master) ?? PYTORCH.port);
    const addr = replicaName(name, 'Master', 0);
    const rank = String(type === 'Worker' ? index + 1 : index);
    env.push(
      { name: 'MASTER_PORT', value: port },
      { name: 'MASTER_ADDR', value: addr },
      { name: 'PET_MASTER_PORT', value: port },
      { name: 'PET_MASTER_ADDR', value: addr },
      { name: 'WORLD_SIZE', value: String(total * perNode) },
      { name: 'RANK', value: rank },
      { name: 'PET_NPROC_PER_NODE', value: nproc },
      { name: 'PET_NODE_RANK', value: rank },
    );
  }
  const elastic = job.spec.elasticPolicy;
  if (!elastic) {
    env.push({ name: 'PET_NNODES', value: String(total) });
    return env;
  }
  const worker = specs.get('Worker');
  const host = elastic.rdzvHost ?? replicaName(name, 'Worker', 0);
  const port = elastic.rdzvPort ?? replicaPort(PYTORCH, worker) ?? PYTORCH.port;
  env.push({ name: 'PET_RDZV_ENDPOINT', value: `${host}:${port}` }, { name: 'PET_RDZV_BACKEND', value: elastic.rdzvBackend ?? 'c10d' });
  const min = elastic.minReplicas ?? worker?.replicas ?? 1;
  const max = elastic.maxReplicas ?? worker?.replicas ?? 1;
  env.push({ name: 'PET_NNODES', value: `${min}:${max}` });
  if (elastic.maxRestarts !== undefined) env.push({ name: 'PET_MAX_RESTARTS', value: String(elastic.maxRestarts) });
  if (elastic.rdzvId !== undefined) env.push({ name: 'PET_RDZV_ID', value: elastic.rdzvId });
  if (elastic.rdzvConf?.length) env.push({ name: 'PET_RDZV_CONF', value: elastic.rdzvConf.map((c) => `${c.key}=${c.value}`).join(',') });
  if (elastic.standalone !== undefined) env.push({ name: 'PET_STANDALONE', value: String(elastic.standalone) });
  if (elastic.nProcPerNode !== undefined && job.spec.nprocPerNode === undefined) env.push({ name: 'PET_NPROC_PER_NODE', value: String(elastic.nProcPerNode) });
  return env;
}

/** TF_CONFIG's cluster: each type (lowercased, in key order as Go's JSON writes a map) to its replicas' addresses; evaluators stay out. */
export function tfCluster(job: TrainingJob, dnsNamespace?: string): Record<string, string[]> {
  const ns = dnsNamespace ?? job.metadata.namespace ?? 'default';
  const cluster: Record<string, string[]> = {};
  const types = replicaSpecs(TENSORFLOW, job).filter(([t]) => t !== 'Evaluator');
  types.sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  for (const [type, spec] of types) {
    const port = replicaPort(TENSORFLOW, spec) ?? TENSORFLOW.port;
    cluster[type.toLowerCase()] = Array.from({ length: spec.replicas ?? 1 }, (_, i) => `${replicaName(job.metadata.name!, type, i)}.${ns}.svc:${port}`);
  }
  return cluster;
}

function tfConfig(job: TrainingJob, type: string, index: number, dnsNamespace?: string): string | undefined {
  if (totalReplicas(TENSORFLOW, job) === 1) return undefined; // not distributed: upstream sets nothing
  return JSON.stringify({ cluster: tfCluster(job, dnsNamespace), task: { type: type.toLowerCase(), index }, environment: 'cloud' });
}

/** XGBoost (and LightGBM): the master's address and port, RANK (workers after the master), and the workers' addresses. */
function xgboostEnv(job: TrainingJob, type: string, index: number): EnvVar[] {
  const name = job.metadata.name!;
  const specs = new Map(replicaSpecs(XGBOOST, job));
  const total = totalReplicas(XGBOOST, job);
  const rank = type === 'Worker' ? index + (specs.get('Master')?.replicas ?? 1) : index;
  const env: EnvVar[] = [
    { name: 'MASTER_PORT', value: String(replicaPort(XGBOOST, specs.get('Master')) ?? XGBOOST.port) },
    { name: 'MASTER_ADDR', value: replicaName(name, 'Master', 0) },
    { name: 'WORLD_SIZE', value: String(total) },
    { name: 'RANK', value: String(rank) },
    { name: 'PYTHONUNBUFFERED', value: '0' },
  ];
  if (total > 1) {
    env.push(
      { name: 'WORKER_PORT', value: String(replicaPort(XGBOOST, specs.get('Worker')) ?? XGBOOST.port) },
      { name: 'WORKER_ADDRS', value: Array.from({ length: total - 1 }, (_, i) => replicaName(name, 'Worker', i)).join(',') },
    );
  }
  return env;
}

/** JAX: worker 0 coordinates; every process learns its id and the count. */
function jaxEnv(job: TrainingJob, index: number): EnvVar[] {
  const worker = new Map(replicaSpecs(JAX, job)).get('Worker');
  return [
    { name: 'PYTHONUNBUFFERED', value: '1' },
    { name: 'COORDINATOR_PORT', value: String(replicaPort(JAX, worker) ?? JAX.port) },
    { name: 'COORDINATOR_ADDRESS', value: replicaName(job.metadata.name!, 'Worker', 0) },
    { name: 'NUM_PROCESSES', value: String(totalReplicas(JAX, job)) },
    { name: 'PROCESS_ID', value: String(index) },
  ];
}

/**
 * Paddle: collective mode (no Master) rendezvous at worker 0, parameter-server mode at master 0. The
 * rendezvous replica itself is given its pod IP (through POD_IP_DUMMY, a fieldRef expanded in
 * PADDLE_MASTER, as upstream does); the others its name.
 */
function paddleEnv(job: TrainingJob, type: string, index: number): EnvVar[] {
  const specs = new Map(replicaSpecs(PADDLE, job));
  const psMode = specs.has('Master');
  const host = psMode ? 'Master' : 'Worker';
  const port = replicaPort(PADDLE, specs.get(host)) ?? PADDLE.port;
  const env: EnvVar[] = [
    { name: 'PYTHONUNBUFFERED', value: '1' },
    { name: 'PADDLE_JOB_ID', value: job.metadata.name! },
    { name: 'PADDLE_NNODES', value: String(totalReplicas(PADDLE, job)) },
  ];
  if (index === 0 && (!psMode || type === 'Master')) {
    env.push({ name: 'POD_IP_DUMMY', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'PADDLE_MASTER', value: `$(POD_IP_DUMMY):${port}` });
  } else {
    env.push({ name: 'PADDLE_MASTER', value: `${replicaName(job.metadata.name!, host, 0)}:${port}` });
  }
  if (psMode) env.push(type === 'Master' ? { name: 'PADDLE_SERVER_NUM', value: '1' } : { name: 'PADDLE_TRAINER_NUM', value: '1' });
  return env;
}

/**
 * The variables to add to each container of replica `type`/`index` (by container name; `*` for
 * every container), after the container's own, as upstream appends them. `dnsNamespace` is the
 * namespace in the names pods resolve (the cluster namespace on the Kubernetes runtime).
 */
export function replicaEnv(fw: Framework, job: TrainingJob, type: string, index: number, dnsNamespace?: string): Map<string, EnvVar[]> {
  if (fw.kind === 'PyTorchJob') return new Map([['*', pytorchEnv(job, type, index)]]);
  if (fw.kind === 'XGBoostJob') return new Map([['*', xgboostEnv(job, type, index)]]);
  if (fw.kind === 'JAXJob') return new Map([['*', jaxEnv(job, index)]]);
  if (fw.kind === 'PaddleJob') return new Map([['*', paddleEnv(job, type, index)]]);
  const config = tfConfig(job, type, index, dnsNamespace);
  return new Map(config === undefined ? [] : [[fw.container, [{ name: 'TF_CONFIG', value: config }]]]);
}
