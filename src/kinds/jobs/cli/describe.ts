/** `describe job`, as kubectl writes it. */
import type { Job } from '../../../api/types.js';
import { formatLabelSelector } from '../../../print/columns.js';
import { annotations, conditionsTable, controlledBy, events, labels, PrefixWriter, timeFormatter, type Describer } from '../../../print/describe.js';
import { humanDuration } from '../../../print/units.js';
import { describePodTemplate } from '../../core/cli/describe.js';

export const jobDescriber: Describer = {
  describe(obj, input) {
    const job = obj as Job;
    const ts = timeFormatter(input);
    const w = new PrefixWriter();
    const spec = job.spec;
    const status = job.status ?? {};
    w.write(0, `Name:\t${obj.metadata.name}\n`);
    w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
    w.write(0, `Selector:\t${formatLabelSelector(spec?.selector)}\n`);
    labels(w, 0, obj);
    annotations(w, 0, obj);
    controlledBy(w, obj);
    w.write(0, `Parallelism:\t${spec?.parallelism ?? 1}\n`);
    w.write(0, `Completions:\t${spec?.completions ?? '<unset>'}\n`);
    w.write(0, `Completion Mode:\t${spec?.completionMode ?? 'NonIndexed'}\n`);
    w.write(0, `Suspend:\t${spec?.suspend ? 'true' : 'false'}\n`);
    w.write(0, `Backoff Limit:\t${spec?.backoffLimit ?? 6}\n`);
    if (spec?.ttlSecondsAfterFinished != null) w.write(0, `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}\n`);
    if (status.startTime) w.write(0, `Start Time:\t${ts(status.startTime)}\n`);
    if (status.completionTime) {
      w.write(0, `Completed At:\t${ts(status.completionTime)}\n`);
      if (status.startTime) w.write(0, `Duration:\t${humanDuration(Date.parse(status.completionTime) - Date.parse(status.startTime))}\n`);
    }
    if (spec?.activeDeadlineSeconds != null) w.write(0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s\n`);
    const ready = status.ready != null ? ` (${status.ready} Ready)` : '';
    w.write(0, `Pods Statuses:\t${status.active ?? 0} Active${ready} / ${status.succeeded ?? 0} Succeeded / ${status.failed ?? 0} Failed\n`);
    if (spec?.completionMode === 'Indexed') w.write(0, `Completed Indexes:\t${status.completedIndexes || '<none>'}\n`);
    conditionsTable(w, status.conditions);
    describePodTemplate(w, spec?.template);
    events(w, input.events, input.now);
    return w.toString();
  },
};

