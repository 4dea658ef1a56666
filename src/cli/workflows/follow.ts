/**
 * Following a Workflow until it completes: the current object, then every change, through the
 * watch stream (re-opened when it drops, e.g. across a server restart).
 */
import { ApiError, type Client } from '../client.js';
import { CliError } from '../context.js';
import { resolveKind } from '../resources.js';
import { asWorkflow, isWorkflowDone, type WorkflowObject } from '../../kinds/workflows/cli/status.js';
import type { KubeObject } from '../../api/types.js';

/**
 * Calls `onUpdate` with the workflow as it is now and after each change; resolves with the
 * workflow once it is Succeeded, Failed or Error. Rejects with NotFound when it does not exist,
 * and with a CliError when it is deleted meanwhile.
 */
export async function followWorkflow(
  client: Client, namespace: string, name: string, onUpdate: (wf: WorkflowObject) => void,
): Promise<WorkflowObject> {
  const kind = resolveKind('workflows');
  let current = asWorkflow(await client.get(kind, namespace, name));
  onUpdate(current);
  if (isWorkflowDone(current)) return current;
  let resourceVersion = current.metadata?.resourceVersion;
  for (;;) {
    let deleted = false;
    let finished = false;
    const w = client.watch(kind, namespace, { fieldSelector: `metadata.name=${name}`, resourceVersion }, (e) => {
      if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
      const obj: KubeObject = e.object;
      if (obj.metadata?.name !== name) return;
      resourceVersion = obj.metadata.resourceVersion ?? resourceVersion;
      if (e.type === 'DELETED') {
        deleted = true;
        w.stop();
        return;
      }
      current = asWorkflow(obj);
      onUpdate(current);
      if (isWorkflowDone(current)) {
        finished = true;
        w.stop();
      }
    });
    try {
      await w.done;
    } catch (err) {
      // 410 Gone: the change log moved on; start again from the object as it is now.
      if (!(err instanceof ApiError) || err.code !== 410) throw err;
      resourceVersion = undefined;
    }
    if (deleted) throw new CliError(`workflow ${name} was deleted before it completed`);
    if (finished) return current;
    await new Promise((r) => setTimeout(r, 200));
    if (resourceVersion === undefined) {
      current = asWorkflow(await client.get(kind, namespace, name));
      onUpdate(current);
      if (isWorkflowDone(current)) return current;
      resourceVersion = current.metadata?.resourceVersion;
    }
  }
}
