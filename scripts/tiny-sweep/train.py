"""PyTorch replica of the tiny-assistant trainer (lib/tiny/train.ts, batches.ts, build.ts), for sweeps on a GPU.

    python3 train.py --data DIR --out OUT [--steps N --batch N --lr X --warmup N --wd X --clip X --seed N
                     --hidden N --layers N --heads N --kv-heads N --intermediate N --impl auto|hf|torch ...]

DIR is scripts/tiny-sweep/export.ts's folder. Unset settings come from DIR/corpus.json (DEFAULT_BUILD).
Replicated: the Llama config (tied embeddings, rms eps 1e-5, head_dim = hidden / heads), N(0, 0.02) init of
every matrix (the pad row too) and unit norms, the batch order (lib/rng.ts sfc32 ported; checked against the
plan in corpus.json), right padding to a multiple of 8, loss = mean cross-entropy over the tokens from each
sequence's loss start, AdamW(betas 0.9/0.98, eps 1e-8, decoupled decay on every parameter), warmup + cosine
(transformers' schedule, step 0-based), clip_grad_norm_. Not replicated: the initial values themselves (tfjs'
seeded randomNormal; --init FILE loads a TS init/model.safetensors to start from the same weights).
Writes OUT/gen.json {tokens} (greedy, left-padded, up to and including <|eos|>, at most --max-new tokens per
held-out prompt), OUT/log.json (settings and the loss history) and, with --save, OUT/model.safetensors +
config.json (Hugging Face layout, loadable by lib/model).
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------- lib/rng.ts (sfc32 seeded by cyrb128 mixing)

M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


def _hash_seed(s):
    h1, h2, h3, h4 = 1779033703, 3144134277, 1013904242, 2773480762
    units = s.encode("utf-16-le")
    for k in struct.unpack(f"<{len(units) // 2}H", units):  # charCodeAt: UTF-16 code units
        h1 = h2 ^ _imul(h1 ^ k, 597399067)
        h2 = h3 ^ _imul(h2 ^ k, 2869860233)
        h3 = h4 ^ _imul(h3 ^ k, 951274213)
        h4 = h1 ^ _imul(h4 ^ k, 2716044179)
    h1 = _imul(h3 ^ (h1 >> 18), 597399067)
    h2 = _imul(h4 ^ (h2 >> 22), 2869860233)
    h3 = _imul(h1 ^ (h3 >> 17), 951274213)
    h4 = _imul(h2 ^ (h4 >> 19), 2716044179)
    h1 ^= h2 ^ h3 ^ h4
    h2 ^= h1
    h3 ^= h1
    h4 ^= h1
    return [h1 & M32, h2 & M32, h3 & M32, h4 & M32]


class Rng:
    """createRng(seed) of lib/rng.ts: float() and shuffle() draw for draw."""

    def __init__(self, seed):
        self.a, self.b, self.c, self.d = _hash_seed(str(seed))
        for _ in range(12):
            self.float()

    def float(self):
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b) & M32
        a = b ^ (b >> 9)
        b = (c + (c << 3)) & M32
        c = ((c << 21) | (c >> 11)) & M32
        d = (d + 1) & M32
        t = (t + d) & M32
        c = (c + t) & M32
        self.a, self.b, self.c, self.d = a, b, c, d
        return t / 4294967296

    def shuffle(self, arr):
        for i in range(len(arr) - 1, 0, -1):
            j = math.floor(self.float() * (i + 1))
            arr[i], arr[j] = arr[j], arr[i]
        return arr


# ---------------------------------------------------------------- lib/tiny/batches.ts


def epoch_plan(n, batch_size, lengths, seed, epoch):
    rng = Rng(f"{seed}:tiny-batches:{epoch}")
    order = rng.shuffle(list(range(n)))
    window = batch_size * 8
    batches = []
    w = 0
    while w + batch_size <= n:
        win = sorted(order[w : min(n, w + window)], key=lambda i: (lengths[i], i))
        b = 0
        while b + batch_size <= len(win):
            batches.append(win[b : b + batch_size])
            b += batch_size
        w += window
    return rng.shuffle(batches)


def make_batch(seqs, pad, starts, multiple=8):
    """inputs [B, T] right-padded, targets [B, T], mask [B, T] (bool): the learned targets."""
    T = math.ceil((max(len(s) for s in seqs) - 1) / multiple) * multiple
    B = len(seqs)
    inputs = torch.full((B, T), pad, dtype=torch.long)
    targets = torch.full((B, T), pad, dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.bool)
    for b, s in enumerate(seqs):
        n = len(s) - 1
        row = torch.tensor(s, dtype=torch.long)
        inputs[b, :n] = row[:-1]
        targets[b, :n] = row[1:]
        # position t predicts token t + 1, learned when t + 1 >= start
        mask[b, max(0, starts[b] - 1) : n] = True
    return inputs, targets, mask


class BatchSchedule:
    def __init__(self, seqs, batch_size, seed, pad, starts):
        self.seqs, self.batch_size, self.seed, self.pad, self.starts = seqs, batch_size, seed, pad, starts
        self.lengths = [len(s) for s in seqs]
        self.plan_epoch, self.plan = 0, epoch_plan(len(seqs), batch_size, self.lengths, seed, 0)
        self.per_epoch = len(self.plan)
        if self.per_epoch == 0:
            sys.exit(f"batches: {len(seqs)} sequences are fewer than one batch of {batch_size}")

    def batch(self, step):
        epoch = step // self.per_epoch
        if epoch != self.plan_epoch:
            self.plan_epoch, self.plan = epoch, epoch_plan(len(self.seqs), self.batch_size, self.lengths, self.seed, epoch)
        idx = self.plan[step % self.per_epoch]
        return make_batch([self.seqs[i] for i in idx], self.pad, [self.starts[i] for i in idx])


def lr_multiplier(step, warmup, total):
    """lib/train/optim.ts lrMultiplier("cosine", ...): transformers' cosine schedule with warmup."""
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1 + math.cos(math.pi * 0.5 * 2 * progress)))


# ---------------------------------------------------------------- the model (lib/model/llama.ts, HF names)


def llama_config(shape, vocab, special):
    """llamaConfigJson of lib/tiny/train.ts."""
    if shape["hidden"] % shape["heads"] or shape["heads"] % shape["kvHeads"]:
        sys.exit("tiny model: hidden must divide into heads, heads into kv heads")
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": vocab,
        "hidden_size": shape["hidden"],
        "intermediate_size": shape["intermediate"],
        "num_hidden_layers": shape["layers"],
        "num_attention_heads": shape["heads"],
        "num_key_value_heads": shape["kvHeads"],
        "head_dim": shape["hidden"] // shape["heads"],
        "hidden_act": "silu",
        "max_position_embeddings": shape["maxPositions"],
        "rms_norm_eps": 1e-5,
        "rope_theta": shape["ropeTheta"],
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "initializer_range": 0.02,
        "bos_token_id": special["bos"],
        "eos_token_id": special["eos"],
        "pad_token_id": special["pad"],
        "dtype": "float32",
        "use_cache": True,
    }


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dt)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, D = c["hidden_size"], c["head_dim"]
        self.H, self.KV, self.D = c["num_attention_heads"], c["num_key_value_heads"], D
        self.q_proj = nn.Linear(h, self.H * D, bias=False)
        self.k_proj = nn.Linear(h, self.KV * D, bias=False)
        self.v_proj = nn.Linear(h, self.KV * D, bias=False)
        self.o_proj = nn.Linear(self.H * D, h, bias=False)

    def forward(self, x, cos, sin, mask, cache):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.H, self.D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.KV, self.D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.KV, self.D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], 2)
                v = torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        rep = self.H // self.KV
        k = k.repeat_interleave(rep, 1)  # transformers' repeat_kv: query head i uses kv head i // rep
        v = v.repeat_interleave(rep, 1)
        if HAS_SDPA:
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None)
        else:
            s = q @ k.transpose(-1, -2) / math.sqrt(self.D)
            if mask is None:
                mask = torch.full((T, T), float("-inf"), device=x.device).triu(1)
            o = torch.softmax((s + mask).float(), -1).to(q.dtype) @ v
        return self.o_proj(o.transpose(1, 2).reshape(B, T, self.H * self.D))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def drop(x, p, training):
    """Dropout only when it is on, so a run without --dropout computes exactly what the TS trainer does."""
    return F.dropout(x, p, training) if p > 0 else x


class Layer(nn.Module):
    def __init__(self, c, dropout=0.0):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.dropout = dropout  # on each block's output, while training

    def forward(self, x, cos, sin, mask, cache):
        x = x + drop(self.self_attn(self.input_layernorm(x), cos, sin, mask, cache), self.dropout, self.training)
        return x + drop(self.mlp(self.post_attention_layernorm(x)), self.dropout, self.training)


class Decoder(nn.Module):
    def __init__(self, c, dropout=0.0):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Layer(c, dropout) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class TinyLlama(nn.Module):
    """A plain-torch LlamaForCausalLM with tied embeddings (the same parameter names)."""

    def __init__(self, c, dropout=0.0):
        super().__init__()
        self.c = c
        self.dropout = dropout  # on the embeddings and each block's output, while training
        self.model = Decoder(c, dropout)
        D = c["head_dim"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
        self.register_buffer("inv_freq", inv, persistent=False)

    def rope(self, pos, dtype):
        f = pos[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((f, f), -1)
        return emb.cos()[:, None].to(dtype), emb.sin()[:, None].to(dtype)

    def hidden(self, ids, pos=None, mask=None, caches=None):
        B, T = ids.shape
        if pos is None:
            pos = torch.arange(T, device=ids.device)[None].expand(B, T)
        x = self.model.embed_tokens(ids)
        x = drop(x, self.dropout, self.training)
        cos, sin = self.rope(pos, x.dtype)
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, mask, None if caches is None else caches[i])
        return self.model.norm(x)

    def logits(self, h):
        return h @ self.model.embed_tokens.weight.t()


def hf_model(c):
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = {k: v for k, v in c.items() if k not in ("architectures", "model_type", "dtype")}
    return LlamaForCausalLM(LlamaConfig(**cfg)).float()


@torch.no_grad()
def check_hf(hf, config):
    """The transformers model must compute what lib/model does: compare with the plain-torch forward."""
    ref = TinyLlama(config)
    ref.load_state_dict({k: v for k, v in hf.state_dict().items() if k != "lm_head.weight"})
    ids = torch.randint(0, config["vocab_size"], (2, 24), generator=torch.Generator().manual_seed(0))
    diff = (hf(input_ids=ids).logits - ref.logits(ref.hidden(ids))).abs().max().item()
    if not diff < 1e-4:
        sys.exit(f"transformers' LlamaForCausalLM differs from the plain-torch forward by {diff}: use --impl torch")


def init_weights(model, seed):
    """initWeights of lib/tiny/train.ts in distribution: every matrix N(0, 0.02) (the pad row too), norms 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)


# ---------------------------------------------------------------- safetensors (float32 only; no package needed)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        if v["dtype"] != "F32":
            sys.exit(f"{path}: {k} is {v['dtype']}, only F32 is read")
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v["shape"])
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for k, t in tensors.items():
        b = t.detach().float().contiguous().cpu().numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def load_init(model, path):
    w = read_safetensors(path)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            if name not in w:
                sys.exit(f"{path}: no {name}")
            if tuple(w[name].shape) != tuple(p.shape):
                sys.exit(f"{path}: {name} is {list(w[name].shape)}, the model's is {list(p.shape)}")
            p.copy_(w[name])


# ---------------------------------------------------------------- training


def learned_loss(model, impl, inputs, targets, mask):
    """Mean cross-entropy over the learned positions (logits only there, as train.ts computes them)."""
    if impl == "hf":
        h = model.model(input_ids=inputs).last_hidden_state
        h = h[mask]
        logits = model.lm_head(h)
    else:
        h = model.hidden(inputs)[mask]
        logits = model.logits(h)
    return F.cross_entropy(logits.float(), targets[mask], reduction="mean")


@torch.no_grad()
def generate(model, impl, prompts, pad, eos, max_new, device, batch, autocast):
    """Greedy, left-padded batches; each row's new ids up to and including eos (as lib/model/generate.ts)."""
    model.eval()
    out = []
    for s in range(0, len(prompts), batch):
        chunk = prompts[s : s + batch]
        L = max(len(p) for p in chunk)
        ids = torch.tensor([[pad] * (L - len(p)) + p for p in chunk], device=device)
        am = torch.tensor([[0] * (L - len(p)) + [1] * len(p) for p in chunk], device=device)
        with autocast():
            if impl == "hf":
                g = model.generate(
                    input_ids=ids,
                    attention_mask=am,
                    max_new_tokens=max_new,
                    do_sample=False,
                    eos_token_id=eos,
                    pad_token_id=pad,
                )[:, L:]
            else:
                g = greedy_torch(model, ids, am, eos, pad, max_new)
        for row in g.tolist():
            out.append(row[: row.index(eos) + 1] if eos in row else row)
    return out


def greedy_torch(model, ids, am, eos, pad, max_new):
    B = ids.shape[0]
    caches = [dict() for _ in model.model.layers]
    done = torch.zeros(B, dtype=torch.bool, device=ids.device)
    new = []
    cur = ids
    for _ in range(max_new):
        S = am.shape[1]
        T = cur.shape[1]
        pos = (am.cumsum(-1) - 1).clamp(min=0)[:, S - T :]  # transformers' position ids for left padding
        # additive mask [B, 1, T, S]: key visible when it is not padding and not after the query
        q_at = torch.arange(S - T, S, device=ids.device)[:, None]
        k_at = torch.arange(S, device=ids.device)[None, :]
        allowed = (k_at <= q_at)[None, None] & am[:, None, None, :].bool()
        allowed |= (k_at == q_at)[None, None]  # padding queries see themselves: no all-masked rows (NaN)
        mask = torch.zeros(allowed.shape, device=ids.device).masked_fill(~allowed, float("-inf"))
        h = model.hidden(cur, pos, mask, caches)[:, -1]
        nxt = model.logits(h).argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
        new.append(nxt)
        done |= nxt == eos
        if bool(done.all()):
            break
        cur = nxt[:, None]
        am = torch.cat([am, torch.ones_like(am[:, :1])], 1)
    return torch.stack(new, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="export.ts's folder")
    ap.add_argument("--out", required=True)
    for name in ("steps", "batch", "warmup", "seed", "hidden", "layers", "heads", "kv-heads", "intermediate"):
        ap.add_argument("--" + name, type=int)
    for name in ("lr", "wd", "clip"):
        ap.add_argument("--" + name, type=float)
    ap.add_argument("--impl", choices=["auto", "hf", "torch"], default="auto", help="transformers or plain torch")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32", help="bf16: autocast (fp32 allows TF32)")
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--max-new", type=int, default=160)
    ap.add_argument("--gen-batch", type=int, default=256)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--no-tf32", action="store_true", help="full fp32 matmuls on CUDA (closer to a TS run from --init)")
    ap.add_argument("--init", default=None, help="start from this model.safetensors (e.g. a TS run's init/)")
    ap.add_argument("--save", action="store_true", help="write OUT/model.safetensors and config.json")
    ap.add_argument("--dropout", type=float, default=0.0,
                    help="dropout on the embeddings and each block's residual output while training (plain torch)")
    ap.add_argument("--ema", type=float, default=None,
                    help="also keep an exponential moving average of the weights (decay, e.g. 0.999) and generate "
                         "with it into OUT/gen_ema.json (--save then writes the averaged weights)")
    a = ap.parse_args()

    t_load = time.time()
    cj = os.path.join(a.data, "corpus.json")
    with (gzip.open(cj + ".gz", "rt") if not os.path.exists(cj) else open(cj)) as f:
        data = json.load(f)
    with open(os.path.join(a.data, "eval.json")) as f:
        prompts = json.load(f)["prompts"]
    d = data["defaults"]
    steps = a.steps if a.steps is not None else d["steps"]
    batch = a.batch if a.batch is not None else d["batchSize"]
    lr = a.lr if a.lr is not None else d["lr"]
    # scripts/build-model.ts shortens the warmup for short runs: min(warmup, max(1, steps / 10))
    warmup = a.warmup if a.warmup is not None else min(d["warmup"], max(1, steps // 10))
    wd = a.wd if a.wd is not None else d["weightDecay"]
    clip = a.clip if a.clip is not None else d["clip"]
    seed = a.seed if a.seed is not None else data["seed"]
    shape = dict(data["shape"])
    for k, arg in (("hidden", a.hidden), ("layers", a.layers), ("heads", a.heads), ("kvHeads", a.kv_heads),
                   ("intermediate", a.intermediate)):
        if arg is not None:
            shape[k] = arg
    special = data["special"]
    seqs, starts = data["sequences"], data["lossStarts"]

    # The batch order must be lib/tiny/batches.ts's: check the port against the exported plan.
    pc = data["planCheck"]
    lengths = [len(s) for s in seqs]
    for e, want in enumerate(pc["epochs"]):
        if epoch_plan(len(seqs), pc["batchSize"], lengths, pc["seed"], e) != want:
            sys.exit(f"batch plan of epoch {e} differs from lib/tiny/batches.ts's (corpus.json planCheck)")

    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = not a.no_tf32
        torch.backends.cudnn.allow_tf32 = not a.no_tf32
    impl = a.impl
    if not 0 <= a.dropout < 1:
        sys.exit(f"--dropout must be in [0, 1), got {a.dropout}")
    if a.dropout > 0:
        if impl == "hf":
            sys.exit("--dropout needs --impl torch (transformers' Llama has no residual dropout)")
        impl = "torch"
    if impl == "auto":
        try:
            import transformers  # noqa: F401

            impl = "hf"
        except ImportError:
            impl = "torch"
    config = llama_config(shape, data["vocabSize"], special)
    torch.manual_seed(seed)
    model = hf_model(config) if impl == "hf" else TinyLlama(config, a.dropout)
    if impl == "hf":
        assert model.lm_head.weight is model.model.embed_tokens.weight, "embeddings must be tied"
    if a.init:
        load_init(model, a.init)
    else:
        init_weights(model, seed)
    if impl == "hf":
        check_hf(model, config)
    model.to(device)
    params = list(model.parameters())  # tied: the embedding once
    n_params = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=wd)
    use_bf16 = a.dtype == "bf16"

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16)

    schedule = BatchSchedule(seqs, batch, seed, special["pad"], starts)
    print(
        f"impl {impl} on {device} ({a.dtype}), {n_params} parameters, shape {shape}, {len(seqs)} sequences "
        f"({schedule.per_epoch} batches/epoch); steps {steps} batch {batch} lr {lr} warmup {warmup} wd {wd} "
        f"clip {clip} seed {seed}",
        flush=True,
    )
    ema = [p.detach().clone() for p in params] if a.ema else None
    history = []
    t0 = time.time()
    model.train()
    run_loss, run_n = 0.0, 0
    for step in range(steps):
        inputs, targets, mask = (t.to(device, non_blocking=True) for t in schedule.batch(step))
        with autocast():
            loss = learned_loss(model, impl, inputs, targets, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, clip) if clip > 0 and clip != math.inf else None
        cur_lr = lr * lr_multiplier(step, warmup, steps)
        for g in opt.param_groups:
            g["lr"] = cur_lr
        opt.step()
        if ema is not None:
            with torch.no_grad():
                torch._foreach_lerp_(ema, [p.detach() for p in params], 1 - a.ema)
        lv = loss.item()
        if not math.isfinite(lv):
            sys.exit(f"train: the loss became {lv} at step {step + 1}; lower the learning rate")
        run_loss += lv
        run_n += 1
        history.append({"step": step + 1, "loss": lv, "lr": cur_lr,
                        "gradNorm": None if norm is None else norm.item(), "tokens": int(mask.sum())})
        if (step + 1) % a.log_every == 0 or step + 1 == steps:
            print(f"step {step + 1}/{steps} loss {lv:.4f} (mean of last {run_n}: {run_loss / run_n:.4f}) "
                  f"lr {cur_lr:.2e} {time.time() - t0:.1f} s", flush=True)
            run_loss, run_n = 0.0, 0
    train_s = time.time() - t0

    t1 = time.time()
    tokens = generate(model, impl, prompts, special["pad"], special["eos"], a.max_new, device, a.gen_batch, autocast)
    gen_s = time.time() - t1
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gen.json"), "w") as f:
        json.dump({"tokens": tokens}, f)
    if ema is not None:
        with torch.no_grad():
            for p, e in zip(params, ema):
                p.copy_(e)
        tokens_ema = generate(model, impl, prompts, special["pad"], special["eos"], a.max_new, device, a.gen_batch,
                              autocast)
        with open(os.path.join(a.out, "gen_ema.json"), "w") as f:
            json.dump({"tokens": tokens_ema}, f)
    stopped = sum(1 for r in tokens if r and r[-1] == special["eos"])
    settings = {"steps": steps, "batch": batch, "lr": lr, "warmup": warmup, "wd": wd, "clip": clip, "seed": seed,
                "shape": shape, "impl": impl, "dtype": a.dtype, "device": str(device), "init": a.init, "ema": a.ema,
                "dropout": a.dropout}
    with open(os.path.join(a.out, "log.json"), "w") as f:
        json.dump({"settings": settings, "parameters": n_params, "trainSeconds": train_s, "genSeconds": gen_s,
                   "finalLoss": history[-1]["loss"] if history else None, "history": history}, f)
    if a.save:
        sd = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}
        write_safetensors(os.path.join(a.out, "model.safetensors"), sd)
        with open(os.path.join(a.out, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    print(f"trained {steps} steps in {train_s:.1f} s; generated {len(tokens)} responses in {gen_s:.1f} s "
          f"({stopped} stopped at eos); wrote {a.out}/gen.json (load {t0 - t_load:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
