/** `get pytorchjobs|tfjobs`: the CRD's STATE (the last condition's type) and AGE, with the replicas' counts. */
import type { KubeObject } from '../../../api/types.js';
import { ageColumn, nameColumn, type KindPrinter } from '../../../print/columns.js';
import type { TrainingJob } from '../types.js';

/** As the CRD's printer column reads it: `.status.conditions[-1:].type`. */
export function trainingState(o: KubeObject): string {
  const conds = (o as TrainingJob).status?.conditions ?? [];
  return conds[conds.length - 1]?.type ?? '';
}

function total(o: KubeObject, field: 'active' | 'succeeded' | 'failed'): string {
  const rs = Object.values((o as TrainingJob).status?.replicaStatuses ?? {});
  return String(rs.reduce((n, r) => n + (r[field] ?? 0), 0));
}

/** `Master:1,Worker:2`: the replicas each type asks for. */
function replicas(o: KubeObject, specsField: string): string {
  const specs = ((o as TrainingJob).spec?.[specsField] ?? {}) as Record<string, { replicas?: number }>;
  return Object.entries(specs).map(([t, s]) => `${t}:${s?.replicas ?? 1}`).join(',');
}

export function trainingPrinter(specsField: string): KindPrinter {
  return {
    columns: [
      nameColumn,
      { header: 'STATE', cell: trainingState },
      { header: 'ACTIVE', cell: (o) => total(o, 'active') },
      { header: 'SUCCEEDED', cell: (o) => total(o, 'succeeded') },
      { header: 'FAILED', cell: (o) => total(o, 'failed') },
      ageColumn,
      { header: 'REPLICAS', wide: true, cell: (o) => replicas(o, specsField) },
    ],
  };
}
