#!/usr/bin/env bash
# GPU parity and SAE-encode benchmark on the device machine: the webgpu backend (Dawn over Vulkan) vs the cpu backend
# (logits of test/fixtures/model/llama, a TopK SAE encode; max |Δ| < 1e-3) and SAE encode tokens/s vs PyTorch CUDA,
# for the stock tfjs ops and lib/sae/webgpu_topk.ts's fused WGSL encode (checked against a host computation).
#
# Here (network, once):  bash bench/device/run.sh --pack
#   writes .gpu/ (node as xz, the `webgpu` package for linux-x64 only as xz, bench/device/gpu.ts bundled with
#   tfjs-backend-webgpu, sae_cuda.py, this script) and .gl/ (the Vulkan loader debs); both are git-ignored.
# There (no network; installs nothing):  bash .gpu/run.sh   with .gpu and .gl carried, from the repository root.
# PACK and GL name other folders for the two (e.g. under a carried, ignored folder).
set -euo pipefail
PACK=${PACK:-.gpu}
GL=${GL:-.gl}
OUTDIR=${OUT:-/tmp}

if [ "${1:-}" = --pack ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  mkdir -p "$PACK" "$GL" /tmp/amd64/partial
  xz -T0 -6 -c "$(command -v node)" >"$PACK/node.xz"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 >/dev/null)
  mkdir -p "$tmp/nm/webgpu" "$tmp/nm/@tensorflow/tfjs-backend-webgpu"
  tar xzf "$tmp"/webgpu-0.6.2.tgz -C "$tmp/nm/webgpu" --strip-components=1 \
    --exclude='package/dist/win32*' --exclude='package/dist/darwin*' --exclude='package/dist/linux-arm64*'
  tar xzf "$tmp"/tensorflow-tfjs-backend-webgpu-4.22.0.tgz -C "$tmp/nm/@tensorflow/tfjs-backend-webgpu" --strip-components=1
  tar -C "$tmp/nm" -cJf "$PACK/webgpu.tar.xz" webgpu
  NODE_PATH="$tmp/nm:$PWD/node_modules" node_modules/.bin/esbuild "$here/gpu.ts" --bundle --platform=node --format=cjs --target=node20 \
    --outfile="$PACK/gpu.cjs" --log-level=error
  cp "$here/sae_cuda.py" "$here/run.sh" "$PACK/"
  rm -rf "$tmp"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update -qq && (cd "$GL" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
  du -sh "$PACK" "$GL"
  exit 0
fi

# --- on the device machine ---
for f in "$GL"/*.deb; do dpkg -x "$f" /; done
ldconfig
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
R=/tmp/molab-gpu
mkdir -p $R/node_modules
xz -dc "$PACK/node.xz" >$R/node && chmod +x $R/node
tar -xJf "$PACK/webgpu.tar.xz" -C $R/node_modules
cp "$PACK/gpu.cjs" $R/
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUTDIR/gpu.txt"
MOLAB_BACKEND=webgpu $R/node $R/gpu.cjs 2>&1 | tee "$OUTDIR/webgpu.log" || echo "gpu.cjs exited with status $? (its JSON line, if printed, is still checked)"
python3 "$PACK/sae_cuda.py" | tee "$OUTDIR/torch.json"
grep '^{' "$OUTDIR/webgpu.log" | tail -1 >"$OUTDIR/webgpu.json"
python3 - "$OUTDIR" <<'PY'
import json, sys
d = sys.argv[1]
w = json.load(open(f"{d}/webgpu.json")); t = json.load(open(f"{d}/torch.json"))
ok = w["logits_max_abs_diff"] < 1e-3 and w["sae_max_abs_diff"] < 1e-3
print(f"parity: logits max|Δ| {w['logits_max_abs_diff']:.2e}, SAE encode max|Δ| {w['sae_max_abs_diff']:.2e} -> {'PASS' if ok else 'FAIL'}")
print(f"row-0 top-k agreement {w.get('sae_row0_topk_agree')}")
print(f"SAE encode 4096x131072 TopK-128: webgpu {w['sae_tokens_per_s']:.0f} tokens/s, PyTorch CUDA {t['tokens_per_s']:.0f} tokens/s, ratio {w['sae_tokens_per_s']/t['tokens_per_s']:.3f}x")
# the fused WGSL encode (lib/sae/webgpu_topk.ts): parity vs lib/sae on cpu (small SAE) and vs the host (4 rows, large)
fs = w.get("fused_small_max_abs_diff")
print(f"fused WGSL encode, small SAE vs cpu: max|Δ| {fs} -> {'PASS' if fs is not None and fs < 1e-3 else 'FAIL'} {w.get('fused_small_error', '')}")
for f in w.get("fused") or []:
    t1 = t.get("tokens_per_s_1024")
    r1 = f" ({f.get('tokens_per_s_1024', 0):.0f} vs {t1:.0f} at 1024 tokens, {f.get('tokens_per_s_1024', 0)/t1:.3f}x)" if t1 and f.get("tokens_per_s_1024") else ""
    print(f"fused [{f['device']}] tile {f['tile']}: {'PASS' if f['ok'] else 'FAIL'} top-k agree {f.get('topk_agree')} max|Δ| {f.get('max_abs_diff')}"
          f" | {f['tokens_per_s']:.0f} tokens/s vs PyTorch CUDA {t['tokens_per_s']:.0f}: {f['tokens_per_s']/t['tokens_per_s']:.3f}x{r1}"
          f" | stages ms {f.get('stages_ms')} {f.get('error', '')}")
b = w.get("fused_best")
if b:
    print(f"SAE encode 4096x131072 TopK-128, fused WGSL (best: {b['device']} {b['tile']}): {b['tokens_per_s']:.0f} tokens/s,"
          f" PyTorch CUDA {t['tokens_per_s']:.0f} tokens/s, ratio {b['tokens_per_s']/t['tokens_per_s']:.3f}x")
print(f"fused parity (every tile): {'PASS' if w.get('fused_ok') else 'FAIL'}")
PY
