/** The conformance scenarios (test/conformance.ts) on the local runtime: bubblewrap and real cgroup limits. */
import { conformance } from './conformance.js';
import { Drover } from './drover.js';

conformance(() => ({
  kind: 'local',
  drover: (node) => Drover.start(node),
}));
