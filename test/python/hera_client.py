"""Runs a two-step Argo workflow on a Drover server with Hera, through the Argo Server API.

Arguments: the server's URL and the bearer token from the kubeconfig Drover wrote (Hera takes
it as it takes an Argo Server's). Prints one JSON object of what it saw; the end-to-end test
(test/python-clients.e2e.test.ts) asserts on it.
"""
import json
import sys

from hera.workflows import Container, Steps, Workflow, WorkflowsService

service = WorkflowsService(host=sys.argv[1], token=sys.argv[2], namespace="default")
out = {"version": service.get_version().version}

with Workflow(generate_name="hera-", entrypoint="main", namespace="default", workflows_service=service) as w:
    hello = Container(name="hello", image="alpine", command=["sh", "-c", "echo hello from hera"])
    bye = Container(name="bye", image="alpine", command=["sh", "-c", "echo bye"])
    with Steps(name="main"):
        hello()
        bye()

created = w.create()
out["generated_name"] = created.metadata.name.startswith("hera-")
done = w.wait(poll_interval=1)
out["phase"] = done.status.phase
out["steps"] = sorted(n.display_name for n in done.status.nodes.values() if n.type == "Pod")
out["listed"] = [x.metadata.name for x in service.list_workflows().items] == [created.metadata.name]
service.delete_workflow(created.metadata.name)
out["after_delete"] = [x.metadata.name for x in (service.list_workflows().items or [])]
print(json.dumps(out))
