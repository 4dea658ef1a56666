import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodView, ServiceView } from '../../api/index.js';
import { endpointSubsets } from './endpoints-controller.js';

const pod = (name: string, o: Partial<PodView> = {}) => ({ uid: `u-${name}`, nodeName: 'vm', view: { namespace: 'ml', name, ip: `10.88.0.${name.length + 2}`, labels: { app: 'web' }, ready: true, gone: false, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }], ...o } });

test("a Service's Endpoints hold its ready pods, the others as notReadyAddresses, with each pod's target port", () => {
  const svc: ServiceView = { namespace: 'ml', name: 'web', clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ name: 'h', port: 80, protocol: 'TCP', targetPort: 'http' }], publishNotReadyAddresses: false };
  const subsets = endpointSubsets(svc, [
    pod('a', { ip: '10.88.0.3' }),
    pod('bb', { ip: '10.88.0.4', ready: false }),
    pod('ccc', { ip: '10.88.0.5', ports: [{ name: 'http', containerPort: 9090, protocol: 'TCP' }] }),
    pod('dddd', { ip: '10.88.0.6', ports: [] }),
    pod('e', { ip: '10.88.0.7', gone: true }),
    pod('f', { ip: '10.88.0.8', labels: { app: 'other' } }),
  ]);
  assert.deepEqual(subsets, [
    {
      ports: [{ name: 'h', port: 8080, protocol: 'TCP' }],
      addresses: [{ ip: '10.88.0.3', nodeName: 'vm', targetRef: { kind: 'Pod', namespace: 'ml', name: 'a', uid: 'u-a' } }],
      notReadyAddresses: [{ ip: '10.88.0.4', nodeName: 'vm', targetRef: { kind: 'Pod', namespace: 'ml', name: 'bb', uid: 'u-bb' } }],
    },
    { ports: [{ name: 'h', port: 9090, protocol: 'TCP' }], addresses: [{ ip: '10.88.0.5', nodeName: 'vm', targetRef: { kind: 'Pod', namespace: 'ml', name: 'ccc', uid: 'u-ccc' } }] },
  ]);
});

test('a headless Service without ports lists addresses with their hostnames, not-ready ones too with publishNotReadyAddresses', () => {
  const svc: ServiceView = { namespace: 'ml', name: 'ring', clusterIP: 'None', selector: { app: 'web' }, ports: [], publishNotReadyAddresses: true };
  const subsets = endpointSubsets(svc, [pod('a', { ip: '10.88.0.3', hostname: 'a', subdomain: 'ring' }), pod('b', { ip: '10.88.0.4', ready: false, hostname: 'b', subdomain: 'other' })]);
  assert.deepEqual(subsets.map((s) => s.addresses?.map((a) => `${a.ip} ${a.hostname ?? '-'}`)), [['10.88.0.3 a', '10.88.0.4 -']]);
  assert.equal(subsets[0]!.ports, undefined);
});
