/**
 * Names Argo gives to workflow nodes and their pods. Node ids and pod names are derived from the
 * node's name by a hash, so the same step always gets the same pod name: a controller restarted
 * mid-workflow finds the pod it made instead of making a second one.
 */
import { fnv32a } from '../../util/hash.js';

/** The root node's id is the workflow's name; every other node's is `<workflow>-<hash of its name>`. */
export function nodeId(workflowName: string, nodeName: string): string {
  return nodeName === workflowName ? workflowName : `${workflowName}-${fnv32a(nodeName)}`;
}

const MAX_POD_NAME = 253;

/** Pod names as Argo's v2 scheme: `<workflow>-<template>-<hash>`, the prefix shortened to fit. */
export function podName(workflowName: string, templateName: string, nodeName: string): string {
  const hash = String(fnv32a(nodeName));
  if (workflowName === nodeName) return workflowName;
  let prefix = templateName ? `${workflowName}-${templateName}` : workflowName;
  const room = MAX_POD_NAME - hash.length - 1;
  if (prefix.length > room) prefix = prefix.slice(0, room);
  return `${prefix.replace(/[^a-z0-9.-]/g, '-')}-${hash}`;
}
