import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { openSafetensors, SafetensorsFile } from "../../lib/io/safetensors.ts";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";
import { f32ToBf16, f32ToF16 } from "../../lib/io/half.ts";
import { MolabError } from "../../lib/errors.ts";
import { readPyJson } from "../helpers.ts";

const FX = path.join(__dirname, "..", "fixtures", "io");
const expected = readPyJson(path.join(FX, "expected.json"));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-st-"));

before(async () => {
  await initBackend();
});

function close(a: ArrayLike<number>, b: number[], what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(y)) assert.ok(Number.isNaN(x), `${what}[${i}]`);
    else assert.ok(x === y || Math.abs(x - y) <= 1e-7 * Math.max(1, Math.abs(y)), `${what}[${i}]: ${x} vs ${y}`);
  }
}

test("reads every dtype of a file written by Python safetensors", async () => {
  const f = await openSafetensors(path.join(FX, "all_dtypes.safetensors"));
  assert.deepEqual(f.metadata, expected.all_dtypes_metadata);
  for (const [name, e] of Object.entries(expected.all_dtypes) as [
    string,
    { shape: number[]; values: (number | boolean)[] },
  ][]) {
    const t = await f.readTensor(name);
    assert.deepEqual(t.shape, e.shape, name);
    const got = Array.from(await t.data(), Number);
    const want = e.values.map(Number);
    // F64 is narrowed to float32 by design (tfjs has no float64)
    close(got, name === "f64" ? want.map((v) => Math.fround(v)) : want, name);
    t.dispose();
  }
  assert.equal((await f.readTensor("bf16")).dtype, "float32");
  assert.equal((await f.readTensor("i64")).dtype, "int32");
  assert.equal((await f.readTensor("bool")).dtype, "bool");
  await f.close();
});

test("reads a checkpoint sharded by huggingface_hub through its index", async () => {
  assert.ok(expected.sharded_files.length >= 3, "fixture has several shards");
  const src = await openSafetensors(path.join(FX, "sharded"));
  assert.deepEqual(src.names().sort(), Object.keys(expected.sharded).sort());
  for (const [name, e] of Object.entries(expected.sharded) as [string, { shape: number[]; values: number[] }][]) {
    assert.equal(src.info(name).dtype, "BF16");
    const { data, shape } = await src.readArray(name);
    assert.deepEqual(shape, e.shape);
    close(data, e.values, name);
  }
  await assert.rejects(src.readTensor("nope"), /no tensor named "nope"/);
  await src.close();
});

test("f32 → f16 / bf16 narrowing is bit-identical to torch", () => {
  const n = expected.narrowing;
  for (let i = 0; i < n.f32.length; i++) {
    assert.equal(f32ToF16(n.f32[i]), n.f16_bits[i], `f16 of ${n.f32[i]}`);
    assert.equal(f32ToBf16(n.f32[i]), n.bf16_bits[i], `bf16 of ${n.f32[i]}`);
  }
});

test("write → read round trip keeps values, dtypes and __metadata__", async () => {
  const a = tf.tensor([
    [1.5, -2, 3.25],
    [0, 1e-3, 7],
  ]);
  const b = tf.tensor([1, -2, 3], [3], "int32");
  const c = tf.tensor([true, false], [2], "bool");
  const file = path.join(tmp, "rt.safetensors");
  await writeSafetensors(
    file,
    { "z.a": a, b, c, raw: { dtype: "I64", shape: [2], data: new BigInt64Array([5n, -6n]) } },
    { metadata: { format: "pt" } },
  );
  const f = await SafetensorsFile.open(file);
  assert.deepEqual(f.metadata, { format: "pt" });
  assert.deepEqual(Array.from(await (await f.readTensor("z.a")).data()), Array.from(await a.data()));
  assert.deepEqual(Array.from(await (await f.readTensor("b")).data()), [1, -2, 3]);
  assert.deepEqual(Array.from(await (await f.readTensor("c")).data()), [1, 0]);
  assert.deepEqual(Array.from(await (await f.readTensor("raw")).data()), [5, -6]);
  await f.close();
  // header is 8-byte aligned, as the reference implementation writes it
  const n = Number(fs.readFileSync(file).readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  // bf16 write: values come back rounded as torch would round them
  const file2 = path.join(tmp, "rt16.safetensors");
  await writeSafetensors(file2, { a }, { floatDtype: "BF16" });
  const g = await SafetensorsFile.open(file2);
  assert.equal(g.info("a").dtype, "BF16");
  const back = await (await g.readTensor("a")).data();
  assert.ok(Math.abs(back[4] - 1e-3) < 1e-5 && back[4] !== Math.fround(1e-3));
  await g.close();
  assert.deepEqual(
    fs.readdirSync(tmp).filter((x) => x.includes(".tmp-")),
    [],
    "no temp files left",
  );
});

// ---- bad input: one clear error each, naming the file and the reason ----

function corrupt(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}
function stFile(header: object, dataLen: number, lenOverride?: bigint): Uint8Array {
  const h = Buffer.from(JSON.stringify(header));
  const l = Buffer.alloc(8);
  l.writeBigUInt64LE(lenOverride ?? BigInt(h.length));
  return Buffer.concat([l, h, Buffer.alloc(dataLen)]);
}
async function rejectsClearly(p: string, re: RegExp) {
  await assert.rejects(openSafetensors(p), (e: unknown) => {
    assert.ok(e instanceof MolabError, `MolabError, got ${e}`);
    assert.ok(e.message.startsWith(p), `names the file: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

test("truncated safetensors file", async () => {
  const good = fs.readFileSync(path.join(FX, "all_dtypes.safetensors"));
  await rejectsClearly(
    corrupt("trunc.safetensors", good.subarray(0, good.length - 10)),
    /run past the end of the data .*truncated/,
  );
  await rejectsClearly(corrupt("tiny.safetensors", good.subarray(0, 5)), /shorter than the 8-byte header length/);
});

test("header length past EOF", async () => {
  await rejectsClearly(
    corrupt("hlen.safetensors", stFile({}, 0, 1000n)),
    /header length 1000 runs past the end of the file/,
  );
});

test("overlapping and out-of-range offsets", async () => {
  const t = (o: number[]) => ({ dtype: "F32", shape: [2], data_offsets: o });
  await rejectsClearly(
    corrupt("overlap.safetensors", stFile({ a: t([0, 8]), b: t([4, 12]) }, 12)),
    /tensors "a" and "b" overlap/,
  );
  await rejectsClearly(
    corrupt("range.safetensors", stFile({ a: t([8, 16]) }, 8)),
    /data_offsets \[8, 16\] run past the end/,
  );
  await rejectsClearly(corrupt("size.safetensors", stFile({ a: t([0, 4]) }, 8)), /span 4 bytes but F32\[2\] needs 8/);
});

test("unknown dtype", async () => {
  await rejectsClearly(
    corrupt("dtype.safetensors", stFile({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, 1)),
    /tensor "a": unknown dtype "F8_E4M3"/,
  );
});

test("non-JSON header", async () => {
  const h = Buffer.from("{not json!");
  const l = Buffer.alloc(8);
  l.writeBigUInt64LE(BigInt(h.length));
  await rejectsClearly(corrupt("json.safetensors", Buffer.concat([l, h])), /header is not JSON/);
});

test("a directory with only pickle weights is refused", async () => {
  const d = fs.mkdtempSync(path.join(tmp, "pkl-"));
  fs.writeFileSync(path.join(d, "pytorch_model.bin"), "x");
  await assert.rejects(openSafetensors(d), /pytorch_model\.bin: pickle-based weights are never loaded/);
});
