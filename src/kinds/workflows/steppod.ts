/**
 * The Pod a workflow step runs in, built by pure functions. The step's container keeps its spec;
 * its command is wrapped by a small POSIX shell script that does what Argo's executor does around
 * the main process: unpack input artifacts, keep a copy of stdout (`outputs.result`, when the
 * workflow names it), and after the process ends copy output parameters and artifacts into the
 * step's staging directory, which the controller reads. The wrapper exits with the process's own
 * exit code. A step that needs none of that runs its command as it is: no shell, no pipe.
 */
import type { Container, Pod, Volume } from '../../api/types.js';
import { ANNOTATIONS } from '../../api/types.js';
import type { Artifact, Template, Workflow } from './types.js';
import { WF_ANNOTATIONS, WF_LABELS } from './types.js';
import { applyPodSpecPatch, type PodSpecPatch } from './podspecpatch.js';

/** Where the staging directory appears inside the step's container. */
export const STAGING_MOUNT = '/drover';
const STAGING_VOLUME = 'drover-staging';

export interface InputArtifactFile {
  name: string;
  path: string;
  /** `tgz`: a tar+gzip archive holding one entry; `file`: the content itself; `dir`: a directory stored unarchived, a key per file. */
  format: 'tgz' | 'file' | 'dir';
  mode?: number;
  /** A path inside the archived directory: only that part lands at `path`. */
  subPath?: string;
  /**
   * What lands at `path`, relative to the staging directory, unpacked by the controller: the pod
   * mounts it there (as Argo mounts input artifacts), so a path whose parent the step's
   * unprivileged user may not write (`/work/model.json`) works. Absent: the wrapper places it.
   */
  staged?: string;
}

export interface StepPodInput {
  wf: Workflow;
  template: Template;
  podName: string;
  nodeId: string;
  nodeName: string;
  /** The step's staging directory on the host. */
  stagingDir: string;
  inputArtifacts: InputArtifactFile[];
  /** Workflow-level volumes plus the claims made from volumeClaimTemplates. */
  volumes: Volume[];
  /** Merged into the spec in order (the workflow's, then the template's). */
  podSpecPatches?: PodSpecPatch[];
  /** Keep the main container's stdout as `outputs.result`; default true. */
  captureResult?: boolean;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function dirOf(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function baseOf(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t.slice(t.lastIndexOf('/') + 1);
}

function archiveNone(a: Artifact): boolean {
  return a.archive?.none !== undefined;
}

/**
 * One container of a containerSet, as its wrapper sees it: it waits for its dependencies' ends
 * (each container writes its exit code to `out/containers/NAME`) and runs only if they succeeded;
 * the collector (`main`, else the last container) waits for every other container's end before
 * it reads the template's outputs, which may lie on volumes the others wrote.
 */
export interface SetMember {
  name: string;
  dependencies: string[];
  collector: boolean;
  others: string[];
  /** The container named `main`: its stdout is the step's result, its exit code the step's. */
  main: boolean;
  hasCommand: boolean;
}

/** The wrapper script; `"$@"` is the step's own command and arguments. */
export function wrapperScript(template: Template, inputs: InputArtifactFile[], member?: SetMember, captureResult = true): string {
  const D = STAGING_MOUNT;
  const lines: string[] = [`D=${D}`];
  for (const a of inputs) {
    if (a.staged) continue; // Mounted at its path.
    const q = shellQuote(a.path);
    lines.push(`mkdir -p ${shellQuote(dirOf(a.path))} || exit 1`);
    if (a.format === 'file') {
      lines.push(`cp "$D/in/${a.name}" ${q} || exit 1`);
    } else {
      // The archive holds one entry named after the producer's path; it lands at our path.
      const inner = a.subPath ? `/${shellQuote(a.subPath.replace(/^\/+/, ''))}` : '';
      lines.push(`t=$(mktemp -d) && tar -xzf "$D/in/${a.name}" -C "$t" && e=$(ls -A "$t") && rm -rf ${q} && mv "$t/$e"${inner} ${q} && rm -rf "$t" || exit 1`);
    }
    if (a.mode !== undefined) lines.push(`chmod ${a.mode.toString(8)} ${q}`);
  }
  // The controller makes these when it stages the step (LocalStepIO.prepare); made here only
  // when it did not (a test's own staging). `[` and `read` are shell builtins: no process each.
  lines.push(`[ -d "$D/out/artifacts" ] && [ -d "$D/out/parameters" ] || mkdir -p "$D/out/parameters" "$D/out/artifacts"`);
  if (member) lines.push(`mkdir -p "$D/out/containers"`);
  const waitFor = (names: string[]) => names.map((n) => `while [ ! -e "$D/out/containers/${n}" ]; do sleep 0.05; done`);
  if (member) {
    lines.push(...waitFor(member.dependencies));
    for (const d of member.dependencies) lines.push(`[ "$(cat "$D/out/containers/${d}")" = 0 ] || { echo "container ${member.name} not run: ${d} failed" >&2; echo 1 > "$D/out/containers/.${member.name}" && mv "$D/out/containers/.${member.name}" "$D/out/containers/${member.name}"; exit 1; }`);
  }
  // A container template without `command` runs its image's entrypoint with `args`; the local
  // runtime passes the entrypoint `images:` gives (e.g. argosay) in this variable, quoted.
  if (member ? !member.hasCommand : template.container && !template.container.command?.length) lines.push(`[ -n "\${DROVER_IMAGE_ENTRYPOINT:-}" ] && eval "set -- $DROVER_IMAGE_ENTRYPOINT \\"\\$@\\""`);
  if ((!member || member.main) && captureResult) {
    lines.push(`{ "$@"; echo $? > "$D/out/exit-code"; } | tee "$D/out/stdout"`);
    lines.push(`rc=; read -r rc 2>/dev/null < "$D/out/exit-code"; rc=\${rc:-1}`);
  } else {
    lines.push(`"$@"`, 'rc=$?');
  }
  if (member) {
    // Written whole (a rename), so a waiting container never reads half a code.
    lines.push(`echo "$rc" > "$D/out/containers/.${member.name}" && mv "$D/out/containers/.${member.name}" "$D/out/containers/${member.name}"`);
    if (!member.collector) {
      lines.push('exit "$rc"');
      return lines.join('\n');
    }
    lines.push(...waitFor(member.others));
    // Without a `main`, the step's exit code is the first failure among the set's containers.
    if (!member.main) lines.push(`c=0; for f in "$D"/out/containers/*; do v=$(cat "$f"); [ "$v" = 0 ] || { c=$v; break; }; done; echo "$c" > "$D/out/exit-code"`);
  }
  for (const p of template.outputs?.parameters ?? []) {
    const path = p.valueFrom?.path;
    if (path) lines.push(`[ -f ${shellQuote(path)} ] && cp ${shellQuote(path)} "$D/out/parameters/${p.name}"`);
  }
  for (const a of template.outputs?.artifacts ?? []) {
    if (!a.path) continue;
    const q = shellQuote(a.path);
    if (archiveNone(a)) lines.push(`[ -e ${q} ] && cp -r ${q} "$D/out/artifacts/${a.name}"`);
    else lines.push(`[ -e ${q} ] && tar -czf "$D/out/artifacts/${a.name}.tgz" -C ${shellQuote(dirOf(a.path))} ${shellQuote(baseOf(a.path))}`);
  }
  lines.push('exit "$rc"');
  return lines.join('\n');
}

/** A containerSet's containers, each with its command wrapped (see SetMember) and the set's volume mounts. */
export function setContainers(template: Template, inputs: InputArtifactFile[], captureResult = true): Container[] {
  const set = template.containerSet!;
  const names = set.containers.map((c) => c.name);
  const collector = names.includes('main') ? 'main' : names[names.length - 1]!;
  return set.containers.map((node) => {
    const { dependencies, ...spec } = node as typeof node & { dependencies?: string[] };
    const member: SetMember = { name: spec.name, dependencies: dependencies ?? [], collector: spec.name === collector, others: names.filter((n) => n !== spec.name), main: spec.name === 'main', hasCommand: !!spec.command?.length };
    return wrapped({ ...(spec as Container), volumeMounts: [...((set.volumeMounts ?? []) as Container['volumeMounts'] & object), ...(spec.volumeMounts ?? [])] as Container['volumeMounts'] }, [...(spec.command ?? []), ...(spec.args ?? [])], template, inputs, member, captureResult);
  });
}

/**
 * Whether a lone step container needs its wrapper: for stdout kept as the result, an input the
 * wrapper places, an output it copies, or an image entrypoint it looks up. Without one, the
 * command runs as the pod's own, with its exit code and messages (`executable file not found`).
 */
function needsWrapper(template: Template, inputs: InputArtifactFile[], captureResult: boolean): boolean {
  if (captureResult || inputs.some((a) => !a.staged)) return true;
  if ((template.outputs?.parameters ?? []).some((p) => p.valueFrom?.path) || (template.outputs?.artifacts ?? []).some((a) => a.path)) return true;
  return !template.script && !template.container?.command?.length;
}

/**
 * Whether the step's pod needs a staging directory: for a script's source, an input artifact, a
 * containerSet's coordination, or anything its wrapper reads or leaves. Decided before staging (the
 * controller then stages nothing and the pod mounts nothing).
 */
export function needsStaging(template: Template, captureResult: boolean): boolean {
  return !!template.script || !!template.containerSet || (template.inputs?.artifacts ?? []).some((a) => a.path) || needsWrapper(template, [], captureResult);
}

function wrapped(c: Container, argv: string[], template: Template, inputs: InputArtifactFile[], member?: SetMember, captureResult = true): Container {
  const bare = !member && !needsWrapper(template, inputs, captureResult);
  const staging = !!member || needsStaging(template, captureResult);
  return {
    ...c,
    command: bare ? argv : ['/bin/sh', '-c', wrapperScript(template, inputs, member, captureResult), 'drover-step', ...argv],
    args: undefined,
    volumeMounts: [
      ...(c.volumeMounts ?? []),
      ...(staging ? [{ name: STAGING_VOLUME, mountPath: STAGING_MOUNT }] : []),
      ...inputs.filter((a) => a.staged).map((a) => ({ name: STAGING_VOLUME, mountPath: a.path, subPath: a.staged })),
    ],
  } as Container;
}

/** The step's container with its command wrapped; script templates run their source from the staging directory. */
export function stepContainer(template: Template, inputs: InputArtifactFile[], captureResult = true): Container {
  const src = (template.container ?? template.script)!;
  const { source: _source, ...spec } = src as typeof src & { source?: string };
  const c: Container = { ...(spec as Container), name: spec.name || 'main' };
  let argv = [...(c.command ?? []), ...(c.args ?? [])];
  if (template.script) argv = [...(c.command ?? ['sh']), `${STAGING_MOUNT}/script`, ...(c.args ?? [])];
  return wrapped(c, argv, template, inputs, undefined, captureResult);
}

/**
 * The template's init containers, then its sidecars as sidecar init containers (restartPolicy
 * Always): they start before the main container, run beside it, and are stopped once it has ended,
 * which is what Argo's executor does to a template's sidecars. `mirrorVolumeMounts` gives one the
 * main container's volume mounts (a containerSet's shared ones).
 */
export function userInitContainers(template: Template): Container[] {
  const main = (template.container ?? template.script ?? template.containerSet) as { volumeMounts?: Container['volumeMounts'] } | undefined;
  const user = (u: NonNullable<Template['sidecars']>[number]): Container => {
    const { mirrorVolumeMounts, ...c } = u;
    const own = (c.volumeMounts ?? []) as NonNullable<Container['volumeMounts']>;
    const mirrored = mirrorVolumeMounts ? (main?.volumeMounts ?? []).filter((m) => !own.some((o) => o.mountPath === m.mountPath)) : [];
    return { ...(c as Container), ...(own.length || mirrored.length ? { volumeMounts: [...own, ...mirrored] } : {}) };
  };
  return [...(template.initContainers ?? []).map(user), ...(template.sidecars ?? []).map((c) => ({ ...user(c), restartPolicy: 'Always' }))];
}

function intOrString(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function buildStepPod(input: StepPodInput): Pod & { apiVersion: string; kind: string } {
  const { wf, template } = input;
  const wfSpec = wf.spec ?? {};
  const used = new Set<string>();
  const capture = input.captureResult ?? true;
  const containers = template.containerSet ? setContainers(template, input.inputArtifacts, capture) : [stepContainer(template, input.inputArtifacts, capture)];
  const initContainers = userInitContainers(template);
  for (const c of [...containers, ...initContainers]) for (const m of c.volumeMounts ?? []) used.add(m.name);
  // Only the volumes the container mounts, as Argo does; an unused claim is not waited for.
  const volumes = [...input.volumes, ...((template.volumes ?? []) as Volume[])].filter((v) => used.has(v.name));
  if (needsStaging(template, capture)) volumes.push({ name: STAGING_VOLUME, hostPath: { path: input.stagingDir, type: 'Directory' } });
  const deadline = intOrString(template.activeDeadlineSeconds);
  // A script template's code is its `source`: it starts in `/` as its image would, not in the
  // manifest's directory (so `open("result.txt", "w")` lands at the `/result.txt` it declares).
  const sourceDir = template.script ? undefined : wf.metadata.annotations?.[ANNOTATIONS.sourceDir];
  const pod: Pod & { apiVersion: string; kind: string } = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.podName,
      namespace: wf.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [WF_LABELS.workflow]: wf.metadata.name!, [WF_LABELS.completed]: 'false' },
      annotations: {
        ...(template.metadata?.annotations ?? {}),
        [WF_ANNOTATIONS.nodeName]: input.nodeName,
        [WF_ANNOTATIONS.nodeId]: input.nodeId,
        ...(sourceDir ? { [ANNOTATIONS.sourceDir]: sourceDir } : {}),
      },
      ownerReferences: [{ apiVersion: wf.apiVersion, kind: wf.kind, name: wf.metadata.name!, uid: wf.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      restartPolicy: 'Never',
      ...(initContainers.length ? { initContainers } : {}),
      containers,
      volumes,
      ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
      ...(template.nodeSelector ?? wfSpec.nodeSelector ? { nodeSelector: { ...(wfSpec.nodeSelector ?? {}), ...(template.nodeSelector ?? {}) } } : {}),
      ...(template.tolerations ?? wfSpec.tolerations ? { tolerations: (template.tolerations ?? wfSpec.tolerations) as never } : {}),
      ...(template.affinity ?? wfSpec.affinity ? { affinity: (template.affinity ?? wfSpec.affinity) as never } : {}),
      ...(template.priorityClassName ? { priorityClassName: template.priorityClassName } : {}),
      // Argo: the template's pod securityContext, else the workflow's.
      ...((template.securityContext ?? wfSpec.securityContext) ? { securityContext: (template.securityContext ?? wfSpec.securityContext) as never } : {}),
    },
  };
  for (const patch of input.podSpecPatches ?? []) pod.spec = applyPodSpecPatch(pod.spec!, patch);
  return pod;
}

/** Argo durations: a number of seconds, or Go-style `1h30m`, `90s`, `500ms`. */
export function parseDurationSeconds(v: string | number): number {
  if (typeof v === 'number') return v;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    matched += m[0].length;
  }
  if (matched !== s.length || s.length === 0) throw new Error(`invalid duration ${JSON.stringify(v)}: expected seconds or a duration such as "30s", "5m", "1h30m"`);
  return total;
}
