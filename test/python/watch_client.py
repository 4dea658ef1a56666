"""Watches with the kubernetes Python client: one resumed from its last resourceVersion sees only
what changed after it, and one from a version older than the history kept gets 410 Gone.
Prints one JSON object.
"""
import json

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config()
core = client.CoreV1Api()


def cm(name, value):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"v": value})


core.create_namespaced_config_map("default", cm("first", "1"))
rv = core.list_namespaced_config_map("default").metadata.resource_version
core.create_namespaced_config_map("default", cm("second", "2"))
core.patch_namespaced_config_map("first", "default", {"data": {"v": "one"}})
core.delete_namespaced_config_map("second", "default")

seen = []
for event in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2):
    seen.append([event["type"], event["object"].metadata.name])
    if len(seen) == 3:
        break
out = {"resumed": seen}

# More changes than the server keeps (DROVER_CHANGE_LOG_SIZE, pruned in batches: up to twice that may be kept): the old version is gone.
for i in range(60):
    core.patch_namespaced_config_map("first", "default", {"data": {"v": str(i)}})
try:
    for event in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2):
        pass
    out["expired"] = None
except ApiException as e:
    out["expired"] = e.status
# Pages of one, with the continue token the server hands out.
core.create_namespaced_config_map("default", cm("third", "3"))
pages = []
token = None
while True:
    page = core.list_namespaced_config_map("default", limit=1, _continue=token)
    pages.append([c.metadata.name for c in page.items])
    token = page.metadata._continue
    if not token:
        break
out["pages"] = pages
print(json.dumps(out))
