"""The Kubeflow Training SDK's MPIJob support (kubeflow.org/v1) against Drover.

The job is applied before this runs (examples/mpi/allreduce-v1.yaml); the SDK only reads, waits,
finds pods, reads logs and deletes, as a user of TrainingClient(job_kind="MPIJob") would.
Prints one JSON line with what it saw.
"""
import json
import sys

from kubeflow.training import TrainingClient

name = sys.argv[1]
client = TrainingClient(job_kind="MPIJob")
job = client.wait_for_job_conditions(name, expected_conditions={"Succeeded", "Failed"}, timeout=120, polling_interval=1)
out = {
    "kind": job.kind,
    "api_version": job.api_version,
    "replica_types": sorted(job.spec.mpi_replica_specs.keys()),
    "slots": job.spec.slots_per_worker,
    "conditions": [c.type for c in job.status.conditions if c.status == "True"],
    "succeeded": client.is_job_succeeded(name),
    "listed": [j.metadata.name for j in client.list_jobs()],
    "launcher_pods": client.get_job_pod_names(name, replica_type="launcher"),
}
logs, _ = client.get_job_logs(name, replica_type="launcher")
out["launcher_log"] = "".join(logs.values())
client.delete_job(name)
out["after_delete"] = [j.metadata.name for j in client.list_jobs()]
print(json.dumps(out))
