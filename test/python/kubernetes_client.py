"""Drives a Drover server with the real `kubernetes` Python client, as a notebook user would.

Reads KUBECONFIG (the one `drover up` wrote) and prints one JSON object of what it saw; the
end-to-end test (test/python-clients.e2e.test.ts) asserts on it.
"""
import json
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException


def job(name):
    # No api_version or kind: the API server takes them from the URL.
    return client.V1Job(
        metadata=client.V1ObjectMeta(name=name, labels={"from": "python"}),
        spec=client.V1JobSpec(
            template=client.V1PodTemplateSpec(
                spec=client.V1PodSpec(
                    restart_policy="Never",
                    containers=[client.V1Container(name="main", image="busybox", command=["sh", "-c", "echo hi from python"])],
                )
            )
        ),
    )


def status_of(fn):
    try:
        fn()
        return 200
    except ApiException as e:
        return e.status


config.load_kube_config()
batch = client.BatchV1Api()
core = client.CoreV1Api()
out = {}

out["version"] = client.VersionApi().get_code().minor
groups = client.ApisApi().get_api_versions()
out["groups"] = [g.preferred_version.group_version for g in groups.groups]
out["core_resources"] = sorted(r.name for r in core.get_api_resources().resources)

dry = batch.create_namespaced_job("default", job("dry"), dry_run="All")
out["dry_run_returned"] = dry.metadata.name
out["dry_run_stored"] = status_of(lambda: batch.read_namespaced_job("dry", "default"))

created = batch.create_namespaced_job("default", job("py"))
out["created"] = {"apiVersion": created.api_version, "kind": created.kind, "uid": bool(created.metadata.uid), "backoffLimit": created.spec.backoff_limit}

deadline = time.time() + 60
while time.time() < deadline:
    j = batch.read_namespaced_job("py", "default")
    if j.status.succeeded:
        break
    time.sleep(0.2)
out["succeeded"] = j.status.succeeded
out["listed"] = [x.metadata.name for x in batch.list_namespaced_job("default", label_selector="from=python").items]
pods = core.list_namespaced_pod("default", label_selector="job-name=py").items
out["log"] = core.read_namespaced_pod_log(pods[0].metadata.name, "default")

# A dict is sent as a strategic merge patch, a list as a JSON patch.
batch.patch_namespaced_job("py", "default", {"metadata": {"labels": {"patched": "dict"}}})
batch.patch_namespaced_job("py", "default", [{"op": "add", "path": "/metadata/annotations", "value": {"via": "list"}}])
p = batch.read_namespaced_job("py", "default")
out["patched"] = [p.metadata.labels.get("patched"), (p.metadata.annotations or {}).get("via")]
stale = p.metadata.resource_version
batch.patch_namespaced_job("py", "default", {"metadata": {"labels": {"again": "1"}}})
p.metadata.resource_version = stale
p.metadata.labels["replaced"] = "yes"
out["stale_replace"] = status_of(lambda: batch.replace_namespaced_job("py", "default", p))

batch.delete_namespaced_job("py", "default", dry_run="All")
out["after_dry_delete"] = status_of(lambda: batch.read_namespaced_job("py", "default"))
batch.delete_namespaced_job("py", "default")
out["after_delete"] = status_of(lambda: batch.read_namespaced_job("py", "default"))
out["missing"] = status_of(lambda: batch.read_namespaced_job("nope", "default"))

print(json.dumps(out))
