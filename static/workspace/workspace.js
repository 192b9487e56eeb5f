/* The operator workspace's entry module: reads and writes through /api/, live updates from
 * /ws/workspace/. Native ES modules, no build step; one module per panel:
 *   queue.js (waiting chats) · tabs.js (open chats, unread, title) · transcript.js (messages) ·
 *   composer.js + canned.js (the reply box) · customer.js + panels.js (the customer panel and the
 *   sections features register) · dialogs.js (transfer, close) · status.js · notify.js ·
 *   live.js (the socket) · shared: dom.js, api.js, i18n.js (texts from the server), state.js.
 * Text from shoppers (and everyone else) is only ever put into the page with textContent.
 */
import { connect } from "./live.js";
import { renderChatsEmpty } from "./tabs.js";

renderChatsEmpty();
connect();
