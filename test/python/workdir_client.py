"""Jobs created with the Python client find their code where Drover says objects from any client
do: the namespace's drover.dev/source-dir annotation, else the server's workdir.

Argument: the directory to annotate the namespace `team` with. Prints one JSON object.
"""
import json
import sys
import time

from kubernetes import client, config

config.load_kube_config()
batch = client.BatchV1Api()
core = client.CoreV1Api()
core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team", annotations={"drover.dev/source-dir": sys.argv[1]})))


def run(namespace, name):
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1JobSpec(
            template=client.V1PodTemplateSpec(
                # The team's own image: it starts where the code is (busybox would start in /, as upstream).
                spec=client.V1PodSpec(restart_policy="Never", containers=[client.V1Container(name="main", image="team/tools", command=["sh", "hello.sh"])])
            )
        ),
    )
    batch.create_namespaced_job(namespace, job)
    deadline = time.time() + 60
    while time.time() < deadline:
        j = batch.read_namespaced_job(name, namespace)
        if j.status.succeeded or j.status.failed:
            break
        time.sleep(0.2)
    pod = core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items[0]
    return core.read_namespaced_pod_log(pod.metadata.name, namespace)


print(json.dumps({"team": run("team", "from-namespace"), "default": run("default", "from-workdir")}))
