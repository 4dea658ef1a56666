"""Data-parallel training of a small regression model with torch.distributed (gloo, CPU).

Run by each replica of a PyTorchJob: the operator's MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK
are all `init_process_group` needs. Every rank makes its own shard of data (same true weights,
different samples), so without gradient all-reduce the ranks' models would drift apart. The script
proves the all-reduce happened:
  1. on the first step it computes its local gradient (no_sync) and checks that the gradient DDP
     leaves after backward equals the mean of all ranks' local gradients;
  2. after training it gathers every rank's parameters and checks they are identical;
  3. the loss falls.
Rank 0 saves the model and a summary to MODEL_DIR (a claim).
"""
import json
import os
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

FEATURES = 8
STEPS = int(os.environ.get("STEPS", "60"))


def main() -> int:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    print(f"rank {rank}/{world} joined via {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}", flush=True)

    true_w = torch.randn(FEATURES, 1, generator=torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own samples
    x = torch.randn(256, FEATURES, generator=gen)
    y = x @ true_w + 0.01 * torch.randn(256, 1, generator=gen)

    torch.manual_seed(rank)  # different starting weights: DDP must broadcast rank 0's
    model = DDP(nn.Linear(FEATURES, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()

    # 1. The gradient after backward is the mean of every rank's local gradient.
    with model.no_sync():
        loss_fn(model(x), y).backward()
    local = [p.grad.detach().clone() for p in model.parameters()]
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    grads_reduced = True
    for g_local, p in zip(local, model.parameters()):
        dist.all_reduce(g_local)
        g_local /= world
        grads_reduced &= torch.allclose(g_local, p.grad, atol=1e-6)
    opt.zero_grad()

    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    # 2. Every rank ends with the same parameters.
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    params_equal = all(torch.equal(gathered[0], g) for g in gathered)

    print(f"rank {rank} loss first={losses[0]:.4f} last={losses[-1]:.4f} grads_allreduced={grads_reduced} params_equal={params_equal}", flush=True)
    ok = grads_reduced and params_equal and losses[-1] < losses[0] * 0.1
    if rank == 0:
        out = os.environ.get("MODEL_DIR", "/model_storage")
        os.makedirs(out, exist_ok=True)
        torch.save(model.module.state_dict(), os.path.join(out, "ddp-model.pt"))
        summary = {"world_size": world, "first_loss": losses[0], "last_loss": losses[-1], "grads_allreduced": grads_reduced, "params_equal": params_equal, "params": gathered[0].tolist()}
        with open(os.path.join(out, "ddp-summary.json"), "w") as f:
            json.dump(summary, f)
        print(f"saved model to {out}/ddp-model.pt", flush=True)
    # Every rank leaves together, once rank 0 has saved: a rank that tears its process group down
    # while a peer is still busy can lose the connection under it and abort at exit.
    dist.barrier()
    dist.destroy_process_group()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
