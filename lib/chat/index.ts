/** lib/chat: the one chat-turn type and the Redwood format (render and parse). Imports nothing but errors.ts. */
export type { ChatMessage } from "./message.ts";
export {
  ACCEPT_TAG,
  REJECT_TAG,
  tagContent,
  renderUserTurn,
  renderOutput,
  renderScratchpad,
  renderReply,
  parseUserTurn,
  splitOutput,
  parseReply,
} from "./redwood.ts";
export type { RedwoodLayout, ReplyVerdict, Verdict, ParsedUserTurn, ParsedReply } from "./redwood.ts";
