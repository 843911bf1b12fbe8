/**
 * `molab tokenize --model DIR|ID --text TEXT [--chat] [--no-special] [--revision REV]`: print the token ids as JSON.
 * With --chat the text becomes one user message rendered with the model's chat template (generation prompt
 * appended), tokenized as transformers' apply_chat_template(tokenize=True) does.
 */
import { parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { resolveModel } from "../hub/resolve.ts";
import { loadTokenizer } from "../model/tokenizer.ts";

export const TOKENIZE_FLAGS: FlagSpec = {
  model: { type: "string" },
  text: { type: "string" },
  chat: { type: "boolean" },
  "no-special": { type: "boolean" },
  revision: { type: "string" },
};

export const TOKENIZE_USAGE = `usage: molab tokenize --model DIR|ID --text TEXT [--chat] [--no-special] [--revision REV]
  --model DIR|ID    a model directory with tokenizer.json, or a hub id
  --text TEXT       the text to encode
  --chat            encode TEXT as one user turn rendered with the chat template (generation prompt appended)
  --no-special      do not add the tokenizer's special tokens (e.g. BOS); not with --chat
  --revision REV    hub revision for a hub id (default: main)
prints the ids as a JSON array

example: molab tokenize --model data/models/tiny-assistant --text "Hello there" --chat`;

export async function tokenize(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("tokenize", argv, TOKENIZE_FLAGS);
  if (positionals.length > 0)
    throw new MolabError(
      `molab tokenize: unexpected argument ${JSON.stringify(positionals[0])} (pass the text with --text)`,
    );
  const model = required("tokenize", values, "model");
  const text = values.text;
  if (typeof text !== "string") throw new MolabError("molab tokenize: --text is required");
  if (values.chat && values["no-special"])
    throw new MolabError(
      "molab tokenize: --chat and --no-special cannot be combined (a chat rendering already holds its special tokens)",
    );
  const tok = await loadTokenizer(
    await resolveModel(model, { revision: typeof values.revision === "string" ? values.revision : undefined }),
  );
  const ids = values.chat
    ? tok.applyChatTemplate([{ role: "user", content: text }], { addGenerationPrompt: true, tokenize: true })
    : tok.encode(text, { addSpecialTokens: !values["no-special"] });
  console.log(JSON.stringify(ids));
  return 0;
}
