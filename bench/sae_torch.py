#!/usr/bin/env python3
"""PyTorch side of bench/sae.ts: TopK SAE encode (SAELens' TopKSAE.encode: top-k of (x − b_dec)·W_enc + b_enc, ReLU,
scattered into a dense [n, d_sae]) on the same weights and batch, read from the same safetensors file with a tiny
parser (Debian has torch but no safetensors). Fastest of REPEATS runs after one warm-up.

  python3 sae_torch.py FILE.safetensors K REPEATS

Threads: MOLAB_BENCH_THREADS when set (bench/sae.ts sets it to its own). Prints one JSON line: tokens_per_s, seconds, threads, torch, and the top-k indices of row 0 (the caller checks both
sides picked the same latents).
"""
import json
import os
import struct
import sys
import time

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, e in header.items():
            if name == "__metadata__":
                continue
            b, end = e["data_offsets"]
            f.seek(base + b)
            out[name] = torch.frombuffer(bytearray(f.read(end - b)), dtype=torch.float32).reshape(e["shape"])
        return out


def encode(w, x, k):
    pre = (x - w["b_dec"]) @ w["W_enc"] + w["b_enc"]
    top = pre.topk(k, dim=-1)
    return torch.zeros_like(pre).scatter(-1, top.indices, top.values.relu()), top.indices


def main():
    if os.environ.get("MOLAB_BENCH_THREADS"):
        torch.set_num_threads(int(os.environ["MOLAB_BENCH_THREADS"]))
    path, k, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    w = read_safetensors(path)
    x = w["x"]
    with torch.no_grad():
        _, idx = encode(w, x, k)
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            encode(w, x, k)
            best = min(best, time.perf_counter() - t)
    print(
        json.dumps(
            {
                "tokens_per_s": x.shape[0] / best,
                "seconds": best,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "row0": sorted(idx[0].tolist()),
            }
        )
    )


main()
