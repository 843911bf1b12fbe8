#!/usr/bin/env python3
"""PyTorch CUDA side of bench/device: TopK-128 SAE encode, d_in 4096 x d_sae 131,072, 256 tokens, f32 (TF32 off),
top-k indices + values (ReLU) copied back to the host, as gpu.ts does. Median of 20 after warm-up (and of 10 for a
1024-token batch); one JSON line."""
import json, time, torch

torch.backends.cuda.matmul.allow_tf32 = False
d_in, d_sae, k, n = 4096, 131072, 128, 256
g = torch.Generator(device="cuda").manual_seed(0)
W = (torch.rand(d_in, d_sae, device="cuda", generator=g) - 0.5) * 0.04
b_enc = (torch.rand(d_sae, device="cuda", generator=g) - 0.5) * 0.02
b_dec = (torch.rand(d_in, device="cuda", generator=g) - 0.5) * 0.2
x = (torch.rand(n, d_in, device="cuda", generator=g) - 0.5) * 2

x1024 = (torch.rand(1024, d_in, device="cuda", generator=g) - 0.5) * 2

def once(x=x):
    pre = (x - b_dec) @ W + b_enc
    top = pre.topk(k, dim=-1)
    return top.values.relu().cpu(), top.indices.cpu()

for _ in range(3):
    once()
ts = []
for _ in range(20):
    torch.cuda.synchronize(); t0 = time.perf_counter(); once(); torch.cuda.synchronize()
    ts.append(time.perf_counter() - t0)
ts.sort()
t1 = []
for _ in range(10):
    torch.cuda.synchronize(); t0 = time.perf_counter(); once(x1024); torch.cuda.synchronize()
    t1.append(time.perf_counter() - t0)
t1.sort()
print(json.dumps({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0), "tokens_per_s": n / ts[len(ts) // 2], "median_s": ts[len(ts) // 2],
                  "tokens_per_s_1024": 1024 / t1[len(t1) // 2]}))
