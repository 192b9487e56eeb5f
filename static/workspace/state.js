/* The page's one shared state. Modules read and change it; what is shown follows from it. */

export const MAX_CHATS_SHOWN = 4;

export const state = {
  me: null, // the signed-in operator (GET /api/me)
  chats: new Map(), // conversation id -> chat (see chat.js)
  order: [], // conversation ids in tab order
  selected: null, // conversation id in front
  queue: new Map(), // conversation id -> {conversation, queued_at}
  reasons: [],
  lastEventId: null,
  ready: false, // state loaded; events apply directly from here on
  pending: [], // events that arrived before that
  socket: null,
  retryDelay: 500,
};
