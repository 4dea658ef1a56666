/** `describe` of any object, by its kind's describer (src/registry.ts `describerFor`). */
import type { KubeObject } from '../api/types.js';
import type { DescribeInput } from '../print/describe.js';
import { describerFor } from '../registry.js';

export { describerFor } from '../registry.js';

export function describe(obj: KubeObject, input: DescribeInput): string {
  return describerFor(obj.kind).describe(obj, input);
}
