/** lib/chat: the one chat-turn type (the Redwood format joins it here). Sits just above the ground floor: imports only errors.ts. */
export type { ChatMessage } from "./message.ts";
