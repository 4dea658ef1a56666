"""The Kubeflow Training SDK (kubeflow-training's TrainingClient) against Drover: a PyTorchJob made
from a Python function (the SDK writes it into the container's command and runs it with torchrun),
read back, waited for, its logs and events read, listed and deleted. Prints one JSON line.

Usage: training_client.py TORCH_BIN_DIR SHIM_DIR (SHIM_DIR holds a torchrun for wheels without one)
"""
import json
import sys

from kubeflow.training import TrainingClient

torch_bin, shim_dir = sys.argv[1], sys.argv[2]


def train(parameters):
    # Runs in every replica under torchrun: a real gloo all-reduce across the pods.
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    t = torch.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(t)
    print(f"{parameters['tag']} rank {dist.get_rank()}/{dist.get_world_size()} sum {t.item():.0f}", flush=True)
    dist.destroy_process_group()


out = {}
client = TrainingClient(namespace="default")
client.create_job(
    name="sdk-ddp",
    train_func=train,
    parameters={"tag": "sdk"},
    num_workers=2,
    num_procs_per_worker=1,
    # The local runtime runs this machine's userland: the image's PATH is the torch environment's.
    env_vars={"PATH": f"{shim_dir}:{torch_bin}:/usr/local/bin:/usr/bin:/bin"},
)
job = client.get_job("sdk-ddp")
out["kind"] = job.kind
out["replica_types"] = sorted(job.spec.pytorch_replica_specs.keys())
out["listed"] = [j.metadata.name for j in client.list_jobs()]
done = client.wait_for_job_conditions("sdk-ddp", timeout=300, polling_interval=1)
out["conditions"] = [c.type for c in done.status.conditions if c.status == "True"]
out["succeeded"] = client.is_job_succeeded("sdk-ddp")
out["master_replicas"] = {k: v.succeeded for k, v in (done.status.replica_statuses or {}).items()}
out["pods"] = sorted(client.get_job_pod_names("sdk-ddp", is_master=False))
logs, events = client.get_job_logs("sdk-ddp", is_master=False, verbose=True)
out["logs"] = {k: v for k, v in sorted(logs.items())}
out["events"] = sorted(events.keys())
client.delete_job("sdk-ddp")
out["after_delete"] = [j.metadata.name for j in client.list_jobs()]
print(json.dumps(out))
