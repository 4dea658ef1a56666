import { annotations, events, labels, PrefixWriter, type Describer } from '../../../print/describe.js';
import { asWorkflow } from './status.js';
import { renderWorkflow } from './tree.js';

/** A Workflow: `argo get`'s header and tree, its labels, then its events. */
export const workflowDescriber: Describer = {
  describe(obj, input) {
    const wf = asWorkflow(obj);
    const opts = input.tzOffsetMinutes === undefined ? { now: input.now } : { now: input.now, tzOffsetMinutes: input.tzOffsetMinutes };
    const text = renderWorkflow(wf, opts);
    const w = new PrefixWriter();
    labels(w, 0, obj);
    annotations(w, 0, obj);
    const meta = w.toString();
    const ev = new PrefixWriter();
    events(ev, input.events, input.now);
    return `${text}\n${meta}${ev.toString()}`;
  },
};

