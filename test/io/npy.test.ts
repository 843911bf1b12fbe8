import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readNpy, readNpz, writeNpy, writeNpz, parseNpy, type NdArray } from "../../lib/io/npy.ts";
import { MolabError } from "../../lib/errors.ts";
import { readPyJson } from "../helpers.ts";

const FX = path.join(__dirname, "..", "fixtures", "io");
const expected = readPyJson(path.join(FX, "expected.json"));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-npy-"));

function values(a: NdArray): (number | boolean)[] {
  if (a.dtype === "bool") return Array.from(a.data as Uint8Array, (x) => x === 1);
  if (a.dtype === "int64") return Array.from(a.data as BigInt64Array, Number);
  return Array.from(a.data as Float32Array, Number);
}

test("reads .npy files written by numpy (f32, f64, i64, bool, 0-d, format 2.0)", async () => {
  const dtypeOf: Record<string, string> = { float32: "float32", float64: "float64", int64: "int64", bool: "bool" };
  for (const [k, e] of Object.entries(expected.npy) as [
    string,
    { shape: number[]; dtype: string; values: (number | boolean)[] },
  ][]) {
    const a = await readNpy(path.join(FX, `${k}.npy`));
    assert.equal(a.dtype, dtypeOf[e.dtype], k);
    assert.deepEqual(a.shape, e.shape, k);
    const want = e.dtype === "float32" ? e.values.map((v) => Math.fround(v as number)) : e.values;
    assert.deepEqual(values(a), want, k);
  }
  const v2 = await readNpy(path.join(FX, "f32_v2.npy"));
  assert.deepEqual(values(v2), values(await readNpy(path.join(FX, "f32.npy"))));
});

test("reads .npz written by np.savez and np.savez_compressed", async () => {
  const z = await readNpz(path.join(FX, "arrays.npz"));
  assert.deepEqual(Object.keys(z).sort(), Object.keys(expected.npy).sort());
  assert.deepEqual(values(z.i64), expected.npy.i64.values);
  const c = await readNpz(path.join(FX, "arrays_compressed.npz"));
  assert.deepEqual(Object.keys(c).sort(), ["W_enc", "b_enc", "threshold"]);
  assert.deepEqual(c.W_enc.shape, [4, 3]);
  assert.deepEqual(values(c.b_enc), expected.npy.f64.values);
});

test("npy / npz round trip, stored and compressed", async () => {
  const arrays: Record<string, NdArray> = {
    a: { dtype: "float32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) },
    b: { dtype: "float64", shape: [2], data: new Float64Array([Math.PI, -1e-300]) },
    c: { dtype: "int64", shape: [3], data: new BigInt64Array([1n, -(2n ** 60n), 7n]) },
    d: { dtype: "bool", shape: [2, 1], data: new Uint8Array([1, 0]) },
    e: { dtype: "float32", shape: [], data: new Float32Array([2]) },
  };
  for (const compress of [false, true]) {
    const f = path.join(tmp, `rt${compress}.npz`);
    await writeNpz(f, arrays, { compress });
    const back = await readNpz(f);
    for (const k of Object.keys(arrays)) {
      assert.equal(back[k].dtype, arrays[k].dtype);
      assert.deepEqual(back[k].shape, arrays[k].shape);
      assert.deepEqual(
        Array.from(back[k].data as ArrayLike<unknown>),
        Array.from(arrays[k].data as ArrayLike<unknown>),
      );
    }
  }
  await writeNpy(path.join(tmp, "a.npy"), arrays.a);
  const raw = fs.readFileSync(path.join(tmp, "a.npy"));
  assert.equal((10 + raw.readUInt16LE(8)) % 64, 0, "header padded to 64 bytes like numpy");
  assert.deepEqual(values(await readNpy(path.join(tmp, "a.npy"))), [1, 2, 3, 4, 5, 6.5]);
});

test("corrupt npy: one clear error naming the file and the reason", async () => {
  const good = fs.readFileSync(path.join(FX, "f32.npy"));
  const cases: [string, Uint8Array, RegExp][] = [
    ["magic.npy", Buffer.from("hello world, not numpy"), /missing the \\x93NUMPY magic/],
    ["trunc.npy", good.subarray(0, good.length - 4), /data has 44 bytes, <f4\(4, 3\) needs 48 \(truncated\?\)/],
    ["hdr.npy", good.subarray(0, 20), /header length \d+ runs past the end/],
    [
      "obj.npy",
      Buffer.from(good.subarray(0, 128).toString("latin1").replace("<f4'", "|O' "), "latin1"),
      /object arrays need pickle/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, bytes);
    await assert.rejects(
      readNpy(p),
      (e: unknown) =>
        e instanceof MolabError && e.message.startsWith(`${p}: not a valid .npy array`) && re.test(e.message),
    );
  }
  assert.throws(
    () =>
      parseNpy(
        new Uint8Array(good.subarray(0, 128)).map((b, i) => (i === 6 ? 9 : b)),
        "x.npy",
      ),
    /unsupported format version 9/,
  );
  const zp = path.join(tmp, "bad.npz");
  fs.writeFileSync(zp, fs.readFileSync(path.join(FX, "arrays.npz")).subarray(0, 300));
  await assert.rejects(readNpz(zp), /bad\.npz: not a valid \.npz \(zip\) file: no end-of-central-directory record/);
});
