/**
 * A workflow's status as JSON, the same text `JSON.stringify` gives, with each node's JSON kept by
 * the node object's identity. A pass copies only the nodes it changes (operation.ts), and stored
 * nodes are never changed in place, so a wide workflow's write serializes what changed, not every
 * node again (a 10,000-node status is about 3 MB).
 */
import type { WorkflowStatus } from './types.js';

const nodeJson = new WeakMap<object, string>();

function nodesJson(nodes: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const id of Object.keys(nodes)) {
    const node = nodes[id];
    // JSON.stringify leaves out what it cannot write; a node is always an object.
    if (node === undefined || typeof node === 'function') continue;
    let json = typeof node === 'object' && node !== null ? nodeJson.get(node) : undefined;
    if (json === undefined) {
      json = JSON.stringify(node);
      if (typeof node === 'object' && node !== null) nodeJson.set(node, json);
    }
    parts.push(`${JSON.stringify(id)}:${json}`);
  }
  return `{${parts.join(',')}}`;
}

export function workflowStatusJson(status: WorkflowStatus | undefined): string {
  if (status === undefined || status === null || typeof status !== 'object' || !status.nodes) return JSON.stringify(status ?? null);
  const parts: string[] = [];
  for (const key of Object.keys(status)) {
    const value = (status as Record<string, unknown>)[key];
    if (key === 'nodes') {
      parts.push(`"nodes":${nodesJson(value as Record<string, unknown>)}`);
      continue;
    }
    const json = JSON.stringify(value);
    if (json !== undefined) parts.push(`${JSON.stringify(key)}:${json}`);
  }
  return `{${parts.join(',')}}`;
}
