/** `describe pytorchjob|tfjob`: run policy, each replica type with its pod template and counts, conditions, events. */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { annotations, events, labels, PrefixWriter, timeFormatter, type Describer } from '../../../print/describe.js';
import { humanDuration } from '../../../print/units.js';
import { describePodTemplate } from '../../core/cli/describe.js';
import type { ReplicaSpec, TrainingJob } from '../types.js';

export function trainingDescriber(specsField: string): Describer {
  return {
    describe(obj, input) {
      const job = obj as TrainingJob;
      const ts = timeFormatter(input);
      const w = new PrefixWriter();
      const spec = job.spec ?? {};
      const status = job.status ?? {};
      const run = spec.runPolicy ?? {};
      w.write(0, `Name:\t${obj.metadata.name}\n`);
      w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
      labels(w, 0, obj);
      annotations(w, 0, obj);
      w.write(0, `Run Policy:\n`);
      w.write(1, `Clean Pod Policy:\t${run.cleanPodPolicy ?? '<unset>'}\n`);
      if (run.backoffLimit != null) w.write(1, `Backoff Limit:\t${run.backoffLimit}\n`);
      if (run.activeDeadlineSeconds != null) w.write(1, `Active Deadline Seconds:\t${run.activeDeadlineSeconds}s\n`);
      if (run.ttlSecondsAfterFinished != null) w.write(1, `TTL Seconds After Finished:\t${run.ttlSecondsAfterFinished}\n`);
      w.write(1, `Suspend:\t${run.suspend ? 'true' : 'false'}\n`);
      if (run.schedulingPolicy?.minAvailable != null) w.write(1, `Min Available:\t${run.schedulingPolicy.minAvailable}\n`);
      if (spec.nprocPerNode != null) w.write(0, `Nproc Per Node:\t${spec.nprocPerNode}\n`);
      // MPIJob (v2beta1): how the launcher reaches its workers.
      const mpi = spec as { mpiImplementation?: string; slotsPerWorker?: number; launcherCreationPolicy?: string; sshAuthMountPath?: string; runLauncherAsWorker?: boolean };
      if (mpi.mpiImplementation != null) w.write(0, `MPI Implementation:\t${mpi.mpiImplementation}\n`);
      if (mpi.slotsPerWorker != null) w.write(0, `Slots Per Worker:\t${mpi.slotsPerWorker}\n`);
      if (mpi.launcherCreationPolicy != null) w.write(0, `Launcher Creation Policy:\t${mpi.launcherCreationPolicy}\n`);
      if (mpi.sshAuthMountPath != null) w.write(0, `SSH Auth Mount Path:\t${mpi.sshAuthMountPath}\n`);
      if (mpi.runLauncherAsWorker) w.write(0, `Run Launcher As Worker:\ttrue\n`);
      if (status.startTime) w.write(0, `Start Time:\t${ts(status.startTime)}\n`);
      if (status.completionTime) {
        w.write(0, `Completed At:\t${ts(status.completionTime)}\n`);
        if (status.startTime) w.write(0, `Duration:\t${humanDuration(Date.parse(status.completionTime) - Date.parse(status.startTime))}\n`);
      }
      w.write(0, `Replica Statuses:\n`);
      w.write(1, `TYPE\tACTIVE\tSUCCEEDED\tFAILED\n`);
      for (const [type, r] of Object.entries(status.replicaStatuses ?? {})) w.write(1, `${type}\t${r.active ?? 0}\t${r.succeeded ?? 0}\t${r.failed ?? 0}\n`);
      w.write(0, `Conditions:\n`);
      w.write(1, `Type\tStatus\tLastTransitionTime\tReason\tMessage\n`);
      w.write(1, `----\t------\t------------------\t------\t-------\n`);
      for (const c of status.conditions ?? []) w.write(1, `${c.type}\t${c.status}\t${c.lastTransitionTime ? ts(c.lastTransitionTime) : ''}\t${c.reason ?? ''}\t${c.message ?? ''}\n`);
      for (const [type, r] of Object.entries((spec[specsField] ?? {}) as Record<string, ReplicaSpec>)) {
        w.write(0, `${type}:\n`);
        w.write(1, `Replicas:\t${r.replicas ?? 1}\n`);
        w.write(1, `Restart Policy:\t${r.restartPolicy ?? '<unset>'}\n`);
        describePodTemplate(w, r.template as PodTemplateSpec);
      }
      events(w, input.events, input.now);
      return w.toString();
    },
  };
}
