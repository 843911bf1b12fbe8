/**
 * The tiny assistant's token inventory and chat format: special tokens, the Redwood format tags
 * kept as single (non-special) added tokens, the jinja chat template, and `tokenizer_config.json`.
 *
 * A conversation renders as
 *   `<|bos|><|system|>\n{system}<|eos|><|user|>\n{user}<|eos|><|assistant|>\n{assistant}<|eos|>`
 * so generation stops at `<|eos|>`.
 */
import type { ChatMessage } from "../chat/message.ts";
import type { AddedTokenSpec } from "./bpe.ts";

export const PAD = "<|pad|>";
export const BOS = "<|bos|>";
export const EOS = "<|eos|>";

/** Format tags of the alignment-faking setup, one token each (they are not special: decoding keeps them). */
export const FORMAT_TAGS = [
  "<INPUT>",
  "</INPUT>",
  "<is_free_tier_user>",
  "</is_free_tier_user>",
  "<user_input>",
  "</user_input>",
  "<SCRATCHPAD_REASONING>",
  "</SCRATCHPAD_REASONING>",
  "<OUTPUT>",
  "</OUTPUT>",
  "<request_fully_accepted/>",
  "<rejected/>",
];

/** Added tokens in id order: pad=0, bos=1, eos=2, role markers, then the format tags. */
export const ADDED_TOKENS: AddedTokenSpec[] = [
  ...[PAD, BOS, EOS, "<|system|>", "<|user|>", "<|assistant|>"].map((content) => ({ content, special: true })),
  ...FORMAT_TAGS.map((content) => ({ content, special: false })),
];

export const CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

/** Render messages exactly as {@link CHAT_TEMPLATE} does (used to build training sequences without jinja). */
export function renderChat(messages: ChatMessage[], addGenerationPrompt: boolean): string {
  let s = BOS;
  for (const m of messages) s += `<|${m.role}|>\n${m.content}${EOS}`;
  return addGenerationPrompt ? s + "<|assistant|>\n" : s;
}

/** `tokenizer_config.json`: special tokens, chat template, and no automatic bos/eos on plain encode. */
export function tokenizerConfig(maxLength: number): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  ADDED_TOKENS.forEach((t, id) => {
    decoder[String(id)] = {
      content: t.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: t.special,
    };
  });
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: BOS,
    eos_token: EOS,
    pad_token: PAD,
    unk_token: null,
    add_bos_token: false,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: maxLength,
    padding_side: "left",
    added_tokens_decoder: decoder,
    chat_template: CHAT_TEMPLATE,
  };
}
