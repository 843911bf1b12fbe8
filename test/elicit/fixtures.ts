/** Shared fixtures of the elicitation tests: the tiny model, a random (non-zero) adapter for it, a mock endpoint. */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { tf } from "../../lib/backend.ts";
import { loadHost } from "../../lib/lora/model_host.ts";
import { LoraAdapter } from "../../lib/lora/adapter.ts";
import { loraConfig } from "../../lib/lora/config.ts";
import { disposeModel } from "../../lib/model/load.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

export const TINY = TINY_V1_MODEL_DIR;

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `molab-elicit-${tag}-`));
}

/** A rank-2 adapter on q/v of every layer with random B (PEFT's init leaves B at zero, which changes nothing). */
export async function randomAdapter(dir: string, seed = 7): Promise<string> {
  const host = await loadHost(TINY);
  const a = LoraAdapter.create(host, loraConfig({ r: 2, lora_alpha: 16 }), seed);
  for (const m of a.modules) {
    const b = tf.randomNormal(m.B.shape, 0, 0.5, "float32", seed);
    m.B.assign(b);
    b.dispose();
  }
  await a.save(dir);
  a.dispose();
  disposeModel(host.model);
  return dir;
}

/** A mock OpenAI-compatible endpoint answering with `reply(body)`; counts requests by their last user message. */
export async function mockEndpoint(reply: (body: any, count: number) => { status: number; body: unknown }) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const body = JSON.parse(raw);
      seen.push(body.messages[body.messages.length - 1].content);
      const r = reply(body, seen.length);
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export const completion = (content: string) => ({
  id: "x",
  object: "chat.completion",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
});
