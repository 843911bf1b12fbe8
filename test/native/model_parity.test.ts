/**
 * The native path equals the wasm path within 1e-4 on every model fixture: logits of the reference input and of the
 * left-padded batch, computed in this process and in a child on the other path (MOLAB_NATIVE flipped).
 * Needs the addon (`npm test` builds it first: environment/setup-native.sh); with MOLAB_NATIVE=0 there is one path only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../../lib/backend.ts";
import { ADDON_PATH, nativeStatus } from "../../lib/native/addon.ts";
import { MODEL_NAMES, maxAbsDiff } from "../model/helpers.ts";
import { modelLogits } from "./dump_logits.ts";

const built = fs.existsSync(ADDON_PATH);

test(
  "native and wasm paths give the same logits (1e-4) on every model fixture",
  { skip: process.env.MOLAB_NATIVE === "0" && "MOLAB_NATIVE=0: the wasm path only" },
  async () => {
    assert.ok(
      built,
      `the native addon is not built (${ADDON_PATH}): bash environment/setup-native.sh (needs libopenblas-dev), ` +
        "or run the tests with MOLAB_NATIVE=0",
    );
    await initBackend();
    const here = nativeStatus().enabled;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "molab-native-parity-"));
    try {
      const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "dump_logits.ts"), out], {
        env: { ...process.env, MOLAB_NATIVE: here ? "0" : "1" },
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      const lines: string[] = [];
      for (const name of MODEL_NAMES) {
        const mine = await modelLogits(name);
        const buf = fs.readFileSync(path.join(out, `${name}.f32`));
        const other = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
        const d = maxAbsDiff(mine, other);
        lines.push(`${name} ${d.toExponential(1)}`);
        assert.ok(d < 1e-4, `${name}: max |Δlogits| native vs wasm ${d}`);
      }
      console.log(`max |Δlogits| native vs wasm: ${lines.join(", ")}`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  },
);
