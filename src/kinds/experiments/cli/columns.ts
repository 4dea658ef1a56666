/**
 * `get experiments` and `get trials`: the column sets registered for the two Katib kinds in
 * ../printers.ts.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Column, KindPrinter } from '../../../print/columns.js';
import { experimentPhase, trialPhase } from '../types.js';
import { age } from '../../../print/units.js';
import {
  additionalMetricsText, asExperiment, asTrial, bestText, compareTrials, doneOfMax, experimentReason, formatAssignments, trialExperiment,
  trialObjectiveText, trialsRSF,
} from './status.js';

const name: Column = { header: 'NAME', cell: (o) => o.metadata.name ?? '' };
const created: Column = { header: 'AGE', cell: (o, now) => age(o.metadata.creationTimestamp, now) };
const exp = (o: KubeObject) => asExperiment(o);
const trial = (o: KubeObject) => asTrial(o);

/** NAME STATUS BEST TRIALS (R/S/F) AGE; wide adds DONE/MAX REASON BEST TRIAL. */
export const experimentPrinter: KindPrinter = {
  columns: [
    name,
    { header: 'STATUS', cell: (o) => experimentPhase(exp(o)) },
    { header: 'BEST', cell: (o) => bestText(exp(o)) },
    { header: 'TRIALS (R/S/F)', cell: (o) => trialsRSF(exp(o)) },
    created,
    { header: 'DONE/MAX', wide: true, cell: (o) => doneOfMax(exp(o)) },
    { header: 'REASON', wide: true, cell: (o) => experimentReason(exp(o)) ?? '<none>' },
    { header: 'BEST TRIAL', wide: true, cell: (o) => exp(o).status?.currentOptimalTrial?.bestTrialName || '<none>' },
  ],
};

/** NAME STATUS OBJECTIVE PARAMETERS AGE; wide adds EXPERIMENT METRICS. Best trial first. */
export const trialPrinter: KindPrinter = {
  columns: [
    name,
    { header: 'STATUS', cell: (o) => trialPhase(trial(o)) },
    { header: 'OBJECTIVE', cell: (o) => trialObjectiveText(trial(o)) },
    { header: 'PARAMETERS', cell: (o) => formatAssignments(trial(o).spec?.parameterAssignments) },
    created,
    { header: 'EXPERIMENT', wide: true, cell: (o) => trialExperiment(trial(o)) || '<none>' },
    { header: 'METRICS', wide: true, cell: (o) => additionalMetricsText(trial(o).spec?.objective, trial(o).status?.observation) },
  ],
  compare: (a, b) => compareTrials(trial(a), trial(b)),
};

/** Katib's columns for a Suggestion: NAME TYPE STATUS REQUESTED ASSIGNED AGE. */
export const suggestionPrinter: KindPrinter = {
  columns: [
    name,
    { header: 'TYPE', cell: (o) => String((o as { spec?: { algorithm?: { algorithmName?: string } } }).spec?.algorithm?.algorithmName ?? '') },
    {
      header: 'STATUS',
      cell: (o) => {
        const conditions = (o as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
        return [...conditions].reverse().find((c) => c.status === 'True')?.type ?? '';
      },
    },
    { header: 'REQUESTED', cell: (o) => String((o as { spec?: { requests?: number } }).spec?.requests ?? 0) },
    { header: 'ASSIGNED', cell: (o) => String((o as { status?: { suggestionCount?: number } }).status?.suggestionCount ?? 0) },
    created,
  ],
};
