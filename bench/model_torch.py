#!/usr/bin/env python3
"""PyTorch side of bench/model.ts: the same Llama-architecture model, read from the same safetensors file with a
tiny parser (Debian has torch but no safetensors/transformers), timed on the same workloads (fastest of REPEATS runs each).

  python3 model_torch.py MODEL_DIR BATCH SEQ REPEATS GEN_BATCH PROMPT NEW_TOKENS IDS_JSON

Prints one JSON line: forward_tokens_per_s, generate_tokens_per_s, threads, and the logits of IDS (one row) so the
caller can check both sides compute the same model.
"""
import json
import math
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
            assert e["dtype"] == "F32", f"{name}: bench expects F32, got {e['dtype']}"
            b, end = e["data_offsets"]
            f.seek(base + b)
            out[name] = torch.frombuffer(bytearray(f.read(end - b)), dtype=torch.float32).reshape(e["shape"])
        return out


class Llama:
    def __init__(self, d):
        c = json.load(open(f"{d}/config.json"))
        assert c["model_type"] == "llama"
        self.c = c
        self.w = read_safetensors(f"{d}/model.safetensors")
        self.H, self.KV = c["num_attention_heads"], c["num_key_value_heads"]
        self.D = c.get("head_dim") or c["hidden_size"] // self.H
        self.eps = c["rms_norm_eps"]
        theta = c.get("rope_theta") or c.get("rope_parameters", {}).get("rope_theta", 10000.0)
        self.inv = 1.0 / (theta ** (torch.arange(0, self.D, 2, dtype=torch.int64).float() / self.D))
        self.L = c["num_hidden_layers"]
        self.lm = self.w.get("lm_head.weight", self.w["model.embed_tokens.weight"])

    def norm(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def rope(self, pos):
        f = pos[:, None].float() * self.inv[None, :]
        e = torch.cat([f, f], -1)
        return e.cos(), e.sin()

    @staticmethod
    def rot(x):
        h = x.shape[-1] // 2
        return torch.cat([-x[..., h:], x[..., :h]], -1)

    def forward(self, ids, cache=None, last_only=False):
        B, T = ids.shape
        past = 0 if cache is None or cache[0] is None else cache[0][0].shape[2]
        x = self.w["model.embed_tokens.weight"][ids]
        cos, sin = self.rope(torch.arange(past, past + T))
        mask = None
        if T > 1:
            mask = torch.full((T, past + T), float("-inf")).triu(past + 1)
        for i in range(self.L):
            p = f"model.layers.{i}."
            h = self.norm(x, self.w[p + "input_layernorm.weight"])
            q = (h @ self.w[p + "self_attn.q_proj.weight"].T).view(B, T, self.H, self.D).transpose(1, 2)
            k = (h @ self.w[p + "self_attn.k_proj.weight"].T).view(B, T, self.KV, self.D).transpose(1, 2)
            v = (h @ self.w[p + "self_attn.v_proj.weight"].T).view(B, T, self.KV, self.D).transpose(1, 2)
            q = q * cos + self.rot(q) * sin
            k = k * cos + self.rot(k) * sin
            if cache is not None:
                if cache[i] is not None:
                    k = torch.cat([cache[i][0], k], 2)
                    v = torch.cat([cache[i][1], v], 2)
                cache[i] = (k, v)
            g = self.H // self.KV
            kk = k.repeat_interleave(g, 1)
            vv = v.repeat_interleave(g, 1)
            s = q @ kk.transpose(2, 3) / math.sqrt(self.D)
            if mask is not None:
                s = s + mask
            a = (s.softmax(-1) @ vv).transpose(1, 2).reshape(B, T, self.H * self.D)
            x = x + a @ self.w[p + "self_attn.o_proj.weight"].T
            h = self.norm(x, self.w[p + "post_attention_layernorm.weight"])
            gt = h @ self.w[p + "mlp.gate_proj.weight"].T
            up = h @ self.w[p + "mlp.up_proj.weight"].T
            x = x + (torch.nn.functional.silu(gt) * up) @ self.w[p + "mlp.down_proj.weight"].T
        if last_only:
            x = x[:, -1:]
        return self.norm(x, self.w["model.norm.weight"]) @ self.lm.T


def best_time(repeats, f):
    """Fastest of `repeats` runs: the machine is shared, the minimum is the least disturbed."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    if os.environ.get("MOLAB_BENCH_THREADS"):
        torch.set_num_threads(int(os.environ["MOLAB_BENCH_THREADS"]))
    d, B, S, R, GB, P, N, ids = sys.argv[1:9]
    B, S, R, GB, P, N = map(int, (B, S, R, GB, P, N))
    ids = json.loads(ids)
    m = Llama(d)
    V = m.c["vocab_size"]
    g = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        check = m.forward(torch.tensor([ids]))[0].tolist()
        x = torch.randint(0, V, (B, S), generator=g)
        m.forward(x)
        fwd = B * S / best_time(R, lambda: m.forward(x))
        prompt = torch.randint(0, V, (GB, P), generator=g)

        def gen():
            cache = [None] * m.L
            nxt = m.forward(prompt, cache, last_only=True)[:, -1].argmax(-1, keepdim=True)
            for _ in range(N - 1):
                nxt = m.forward(nxt, cache, last_only=True)[:, -1].argmax(-1, keepdim=True)

        gen()
        gps = GB * N / best_time(R, gen)
    print(json.dumps({"forward_tokens_per_s": fwd, "generate_tokens_per_s": gps, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "check_logits": check}))


if __name__ == "__main__":
    main()
