/**
 * The one chat-turn type of molab: what our JSONL datasets hold (`{"messages": [{role, content}, …]}`),
 * what a Hugging Face chat template renders and what an OpenAI-compatible endpoint takes.
 */

/**
 * One chat turn. `role` is "system", "user" or "assistant" in this project's data; a chat template may know
 * others (e.g. "tool"). `content` is text; where a template also takes structured content (a list of
 * multimodal parts) the tokenizer accepts `ChatMessage<unknown>`. Other keys (`name`, `tool_calls`, …) are
 * passed through to the template.
 */
export interface ChatMessage<Content = string> {
  role: string;
  content: Content;
  [key: string]: unknown;
}
