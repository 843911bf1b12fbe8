#!/usr/bin/env python3
"""PyTorch side of bench/model_large.ts: the same random Qwen2-architecture bf16 checkpoint, read with a tiny
safetensors parser and widened to float32 (PyTorch's usual CPU dtype; Debian's torch has no transformers), timed on
the same workloads: load, generation b=1 (16-token prompt, 32 new, greedy, KV cache), one LoRA step (1×128, r=16 on
all 7 projections, forward + backward + AdamW, loss on the last 96 positions).

  python3 model_large_torch.py MODEL_DIR THREADS [LORA_SEQ]

Prints one JSON line.
"""
import json
import math
import resource
import struct
import sys
import time

import torch


def read_bf16_as_f32(path):
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
            raw = bytearray(f.read(end - b))
            dt = {"BF16": torch.bfloat16, "F32": torch.float32, "F16": torch.float16}[e["dtype"]]
            out[name] = torch.frombuffer(raw, dtype=dt).reshape(e["shape"]).float()
            del raw
        return out


class Qwen2:
    def __init__(self, d):
        c = json.load(open(f"{d}/config.json"))
        self.c = c
        self.w = read_bf16_as_f32(f"{d}/model.safetensors")
        self.H, self.KV = c["num_attention_heads"], c["num_key_value_heads"]
        self.D = c.get("head_dim") or c["hidden_size"] // self.H
        self.eps = c["rms_norm_eps"]
        self.inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, self.D, 2, dtype=torch.int64).float() / self.D))
        self.L = c["num_hidden_layers"]
        self.lm = self.w.get("lm_head.weight", self.w["model.embed_tokens.weight"])
        self.lora = {}

    def norm(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def lin(self, x, name, bias=False):
        y = x @ self.w[name + ".weight"].T
        if bias:
            y = y + self.w[name + ".bias"]
        if name in self.lora:
            A, B, s = self.lora[name]
            y = y + s * ((x @ A.T) @ B.T)
        return y

    @staticmethod
    def rot(x):
        h = x.shape[-1] // 2
        return torch.cat([-x[..., h:], x[..., :h]], -1)

    def forward(self, ids, cache=None, last_only=False):
        B, T = ids.shape
        past = 0 if cache is None or cache[0] is None else cache[0][0].shape[2]
        x = self.w["model.embed_tokens.weight"][ids]
        f = torch.arange(past, past + T)[:, None].float() * self.inv[None, :]
        e = torch.cat([f, f], -1)
        cos, sin = e.cos(), e.sin()
        mask = torch.full((T, past + T), float("-inf")).triu(past + 1) if T > 1 else None
        for i in range(self.L):
            p = f"model.layers.{i}."
            h = self.norm(x, self.w[p + "input_layernorm.weight"])
            q = self.lin(h, p + "self_attn.q_proj", True).view(B, T, self.H, self.D).transpose(1, 2)
            k = self.lin(h, p + "self_attn.k_proj", True).view(B, T, self.KV, self.D).transpose(1, 2)
            v = self.lin(h, p + "self_attn.v_proj", True).view(B, T, self.KV, self.D).transpose(1, 2)
            q = q * cos + self.rot(q) * sin
            k = k * cos + self.rot(k) * sin
            if cache is not None:
                if cache[i] is not None:
                    k = torch.cat([cache[i][0], k], 2)
                    v = torch.cat([cache[i][1], v], 2)
                cache[i] = (k, v)
            g = self.H // self.KV
            s = q @ k.repeat_interleave(g, 1).transpose(2, 3) / math.sqrt(self.D)
            if mask is not None:
                s = s + mask
            a = (s.softmax(-1) @ v.repeat_interleave(g, 1)).transpose(1, 2).reshape(B, T, self.H * self.D)
            x = x + self.lin(a, p + "self_attn.o_proj")
            h = self.norm(x, self.w[p + "post_attention_layernorm.weight"])
            x = x + self.lin(torch.nn.functional.silu(self.lin(h, p + "mlp.gate_proj")) * self.lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
        if last_only:
            x = x[:, -1:]
        return self.norm(x, self.w["model.norm.weight"]) @ self.lm.T


def main():
    d, threads = sys.argv[1], int(sys.argv[2])
    T = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    torch.set_num_threads(threads)
    t = time.perf_counter()
    m = Qwen2(d)
    load_s = time.perf_counter() - t
    peak_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    V = m.c["vocab_size"]
    g = torch.Generator().manual_seed(0)
    prompt = torch.randint(5, V - 5, (1, 16), generator=g)
    NEW = 32

    def gen(n):
        cache = [None] * m.L
        nxt = m.forward(prompt, cache, last_only=True)[:, -1].argmax(-1, keepdim=True)
        for _ in range(n - 1):
            nxt = m.forward(nxt, cache, last_only=True)[:, -1].argmax(-1, keepdim=True)

    with torch.inference_mode():
        gen(2)
        t = time.perf_counter()
        gen(NEW)
        gen_tps = NEW / (time.perf_counter() - t)
    peak_gen = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    # LoRA r=16, alpha=32 on all 7 projections; PEFT init (A random, B zero) — B nonzero here so every path computes.
    params = []
    for i in range(m.L):
        p = f"model.layers.{i}."
        for mod in ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]:
            out_f, in_f = m.w[p + mod + ".weight"].shape
            A = (torch.randn(16, in_f, generator=g) / math.sqrt(in_f)).requires_grad_()
            B = (torch.randn(out_f, 16, generator=g) * 1e-3).requires_grad_()
            m.lora[p + mod] = (A, B, 2.0)
            params += [A, B]
    opt = torch.optim.AdamW(params, lr=2e-5, weight_decay=0.0)
    ids = torch.randint(5, V - 5, (1, T), generator=g)

    def step():
        logits = m.forward(ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits[0, T // 4 - 1:], ids[0, T // 4:])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()

    step()
    STEPS = 2
    t = time.perf_counter()
    for _ in range(STEPS):
        loss = step()
    lora_tps = T * STEPS / (time.perf_counter() - t)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "load_s": load_s, "peak_rss_after_load": peak_load,
                      "peak_rss_after_generate": peak_gen, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "generate_b1_tokens_per_s": gen_tps, "lora_step_tokens_per_s": lora_tps, "lora_loss": loss}))


if __name__ == "__main__":
    main()
