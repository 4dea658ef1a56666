/**
 * The local machine as a Kubernetes Node: detected capacity (CPUs, memory, GPUs via
 * nvidia-smi), overridable from config, and configurable labels for nodeSelector.
 */
import { availableParallelism, totalmem, hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { Node, Stored } from '../api/types.js';
import { LABELS } from '../api/types.js';
import { GPU_RESOURCE } from '../api/pods.js';
import type { DroverConfig } from '../config/index.js';

export interface DetectedCapacity {
  cpus: number;
  memoryBytes: number;
  gpuIds: string[];
}

/** Memory the machine really grants us: the cgroup limit when lower than physical memory. */
function memoryLimit(): number {
  const physical = totalmem();
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = readFileSync(f, 'utf8').trim();
      if (v !== 'max' && Number(v) > 0 && Number(v) < physical) return Number(v);
    } catch {
      // Not this cgroup version.
    }
  }
  return physical;
}

function detectGpus(): string[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').map((s) => s.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

export function detectCapacity(): DetectedCapacity {
  return { cpus: availableParallelism(), memoryBytes: memoryLimit(), gpuIds: detectGpus() };
}

/** GPU ids the runtime may hand out: detected ones, or `0..n-1` when config sets a count. */
export function gpuIdsFor(config: DroverConfig, detected: DetectedCapacity): string[] {
  const n = config.node.capacity.gpus;
  if (n === undefined) return detected.gpuIds;
  return Array.from({ length: n }, (_, i) => detected.gpuIds[i] ?? String(i));
}

export function localNode(config: DroverConfig, detected: DetectedCapacity): Stored<Node> {
  const capacity: Record<string, string> = {
    cpu: config.node.capacity.cpu ?? String(detected.cpus),
    memory: config.node.capacity.memory ?? `${Math.floor(detected.memoryBytes / 1024)}Ki`,
    pods: '110',
    [GPU_RESOURCE]: String(gpuIdsFor(config, detected).length),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: config.node.name,
      labels: {
        [LABELS.hostname]: config.node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'node-role.kubernetes.io/drover': '',
        ...config.node.labels,
      },
    },
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [{ type: 'Ready', status: 'True', reason: 'DroverReady', message: 'Drover local runtime is ready', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
      nodeInfo: {
        architecture: process.arch, bootID: '', containerRuntimeVersion: 'drover-local', kernelVersion: '', kubeProxyVersion: '', kubeletVersion: 'drover',
        machineID: '', operatingSystem: 'linux', osImage: hostname(), systemUUID: '',
      },
    },
  };
}

export { NodeMonitor, sampleDisk, underPressure, describeThreshold, binary, DISK_PRESSURE_TAINT, STORE_SIZE_ANNOTATION, type DiskThreshold, type DiskSample, type DiskState, type StoreSize } from './pressure.js';
