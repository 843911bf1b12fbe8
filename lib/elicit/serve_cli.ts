/** `molab serve`: the OpenAI-compatible server of lib/elicit/serve.ts on a model directory and its adapters. */
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { LocalModel } from "./local.ts";
import { serve } from "./serve.ts";

export const SERVE_FLAGS: FlagSpec = {
  model: { type: "string" },
  adapter: { type: "string", multiple: true },
  name: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  quiet: { type: "boolean" },
};

export const SERVE_USAGE = `usage: molab serve --model DIR [--adapter NAME=DIR …] [--port N] [--host H] [--name NAME] [--quiet]
  --model DIR          a model directory (HF layout, with tokenizer.json and a chat template)
  --adapter NAME=DIR   a PEFT LoRA adapter served as model NAME (repeat for more; vLLM's --lora-modules)
  --name NAME          the base model's served name (default: the directory's base name)
  --port N             port to listen on; 0 picks a free one (default 8000)
  --host H             address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for every interface)
  --quiet              no per-request log lines on stderr
endpoints: GET /v1/models, POST /v1/chat/completions (stream, n, seed, stop, logprobs, top_logprobs), GET /health
prints "listening on http://HOST:PORT/v1" once ready; stops on SIGINT / SIGTERM

example: molab serve --model data/models/tiny-assistant --adapter af=runs/af/adapter --port 8000`;

/** NAME=DIR pairs of --adapter. */
export function parseAdapterFlags(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) {
    const m = /^([^=\s]+)=(.+)$/.exec(a);
    if (!m) throw new MolabError(`molab serve: --adapter expects NAME=DIR, got ${JSON.stringify(a)}`);
    if (out[m[1]] !== undefined) throw new MolabError(`molab serve: adapter name ${m[1]} given twice`);
    out[m[1]] = m[2];
  }
  return out;
}

export async function serveCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const { values } = parseFlags("serve", argv, SERVE_FLAGS);
  const dir = required("serve", values, "model");
  const port = numberFlag("serve", values, "port", 8000)!;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new MolabError(`molab serve: --port expects an integer in [0, 65535], got ${port}`);
  const adapters = parseAdapterFlags(values.adapter as string[] | undefined);
  const lm = await LocalModel.load(dir, { name: values.name as string | undefined, adapters });
  const s = await serve(lm, {
    port,
    host: (values.host as string | undefined) ?? "127.0.0.1",
    log: values.quiet ? undefined : (line) => console.error(line),
  });
  console.log(`listening on ${s.baseUrl} (models: ${lm.names.join(", ")})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    signal?.addEventListener("abort", stop, { once: true });
  });
  await s.close();
  lm.dispose();
  return 0;
}
