/**
 * The playground page: one self-contained HTML document (inline CSS and JS, no CDN) that chats
 * through the client SDK served beside it at `/sse2ws-client.js`. Elements carry `data-testid`s
 * the browser tests (test/browser) rely on: keep them stable.
 */

/** Where the page loads the browser SDK from (served by the bridge itself). */
export const CLIENT_BUNDLE_PATH = '/sse2ws-client.js';

/** The page's stylesheet (inline, so its CSP hash is computed from this exact text). */
export const PLAYGROUND_STYLE = `
:root { color-scheme: light dark; --muted: #6b7280; --accent: #2563eb; --bad: #dc2626; --ok: #16a34a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; display: flex; flex-direction: column; height: 100vh; }
header, #composer { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; padding: .6rem 1rem; border-bottom: 1px solid #8884; }
#composer { border-top: 1px solid #8884; border-bottom: 0; }
h1 { font-size: 1.05rem; margin: 0 .5rem 0 0; }
fieldset { border: 0; padding: 0; margin: 0; display: flex; gap: .6rem; }
#state { padding: .1rem .55rem; border-radius: 1rem; background: #8883; font-size: .85rem; }
#state[data-state="open"] { background: var(--ok); color: #fff; }
#state[data-state="reconnecting"], #state[data-state="connecting"] { background: #d97706; color: #fff; }
#state[data-state="closed"] { background: var(--bad); color: #fff; }
.muted, .timings, .status { color: var(--muted); font-size: .85rem; }
#transcript { flex: 1; overflow-y: auto; padding: 1rem; }
.turn { margin: 0 0 1.2rem; max-width: 60rem; }
.user { margin: 0 0 .3rem; font-weight: 600; }
.answer { white-space: pre-wrap; }
.turn[data-state="streaming"] .answer::after { content: "\\25CD"; color: var(--accent); margin-left: .2rem; }
.error { color: var(--bad); margin: .2rem 0; }
.status, .timings { margin: .2rem 0; }
#message { flex: 1; min-width: 12rem; padding: .45rem .6rem; font: inherit; }
button { font: inherit; padding: .4rem .9rem; }
#notice { color: var(--bad); margin: 0; }
`;

/** The page's script: plain browser JavaScript run after the SDK bundle defined `window.sse2ws`. */
export const PLAYGROUND_SCRIPT = `
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const adapter = params.get('adapter') === 'eventsource' ? 'eventsource' : 'client';
  let protocol = params.get('protocol') === 'ws' ? 'ws' : 'socketio';
  const sdk = window.sse2ws;
  let client;
  let everOpen = false;
  let reconnects = 0;
  let turns = 0;
  let current; // { stop(): void } of the running request

  const notice = (text) => {
    $('notice').hidden = !text;
    $('notice').textContent = text || '';
  };
  const setState = (state) => {
    const name = String((state && state.state) || state);
    if (name === 'open' || name === 'connected') {
      notice('');
      if (everOpen && $('state').dataset.state !== 'open') $('reconnects').textContent = String(++reconnects);
      everOpen = true;
    }
    const shown = name === 'connected' ? 'open' : name;
    $('state').dataset.state = shown;
    $('state').textContent = shown;
  };
  const describe = (err) => (err && (err.code ? err.code + ': ' + (err.message || '') : err.message)) || String(err);

  let unsubscribe = [];
  function connectClient() {
    for (const off of unsubscribe.splice(0)) off();
    if (client) client.close();
    everOpen = false;
    setState('connecting');
    client = sdk.connect(location.origin, { protocol });
    unsubscribe = [client.on('state', setState), client.on('error', (err) => notice(describe(err)))];
  }

  function newTurn(text) {
    const n = ++turns;
    const el = document.createElement('article');
    el.className = 'turn';
    el.id = 'turn-' + n;
    el.dataset.testid = 'turn';
    el.dataset.state = 'streaming';
    el.innerHTML =
      '<p class="user" data-testid="user-text"></p><p class="status" data-testid="status"></p>' +
      '<div class="answer" data-testid="answer"></div><p class="error" data-testid="error" hidden></p>' +
      '<p class="timings" data-testid="timings">waiting for the first frame…</p>';
    el.querySelector('.user').textContent = text;
    if ($('hint')) $('hint').remove();
    $('transcript').append(el);
    const answer = el.querySelector('.answer');
    const t0 = performance.now();
    let first;
    let last;
    let frames = 0;
    const timings = () => {
      const ttff = first === undefined ? '—' : Math.round(first - t0) + ' ms';
      const secs = last === undefined || first === undefined ? 0 : (last - first) / 1000;
      const fps = secs > 0 ? (frames - 1) / secs : 0;
      el.querySelector('.timings').textContent =
        'first frame ' + ttff + ' · ' + frames + ' frames · ' + fps.toFixed(1) + ' frames/s';
      el.dataset.frames = String(frames);
      if (first !== undefined) el.dataset.ttfbMs = String(Math.round(first - t0));
    };
    const scroll = () => { $('transcript').scrollTop = $('transcript').scrollHeight; };
    return {
      el,
      frame(type, content, requestId) {
        const now = performance.now();
        if (first === undefined) first = now;
        last = now;
        frames++;
        if (requestId) el.dataset.requestId = requestId;
        if (type === 'text') answer.textContent += content && content.data != null ? String(content.data) : '';
        else if (type === 'agent_status') {
          el.querySelector('.status').textContent =
            (content && (content.message || content.status)) || '';
        } else if (type === 'error') this.error(content);
        else if (type === 'stop') {
          const reason = (content && content.reason) || 'complete';
          el.dataset.stopReason = reason;
          if (el.dataset.state === 'streaming') el.dataset.state = reason === 'complete' ? 'done' : reason;
        }
        timings();
        scroll();
      },
      error(err) {
        const box = el.querySelector('.error');
        box.hidden = false;
        box.textContent = describe(err);
        el.dataset.state = 'error';
      },
      end() {
        if (el.dataset.state === 'streaming') el.dataset.state = 'done';
        timings();
      },
    };
  }

  function sendWithClient(text, turn) {
    const controller = new AbortController();
    current = { stop: () => controller.abort() };
    const data = { history: [], current_text: text, current_image_paths: [] };
    return (async () => {
      try {
        for await (const f of client.chat(data, { signal: controller.signal })) {
          turn.frame(f.type, f.content, f.request_id);
        }
      } catch (err) {
        if (controller.signal.aborted) turn.el.dataset.state = 'cancelled';
        else turn.error(err);
      }
    })();
  }

  // Written as code migrated from an SSE endpoint would be: named events, data as text.
  function sendWithEventSource(text, turn) {
    const data = { history: [], current_text: text, current_image_paths: [] };
    const source = new sdk.BridgeEventSource(location.origin, { protocol, data });
    let done;
    const finished = new Promise((resolve) => { done = resolve; });
    current = { stop: () => { source.close(); turn.el.dataset.state = 'cancelled'; done(); } };
    const json = (e) => { try { return JSON.parse(e.data); } catch { return {}; } };
    const id = () => source.requestId;
    source.onopen = () => setState('open');
    source.addEventListener('agent_status', (e) => turn.frame('agent_status', json(e), id()));
    source.addEventListener('text', (e) => turn.frame('text', { data: e.data }, id()));
    source.addEventListener('stop', (e) => {
      turn.frame('stop', json(e), id());
      setState('idle');
      done();
    });
    source.addEventListener('error', (e) => {
      if (e.data !== undefined) return turn.frame('error', json(e), id());
      // No data: a connection problem. CONNECTING retries on its own; CLOSED is final.
      if (source.readyState === source.CONNECTING) {
        setState('reconnecting');
        notice(describe(e.error));
      } else if (turn.el.dataset.state === 'streaming') {
        turn.error(e.error || { message: 'the event source closed' });
        setState('closed');
        done();
      }
    });
    return finished;
  }

  async function send(event) {
    event.preventDefault();
    const text = $('message').value;
    if (current) current.stop();
    const turn = newTurn(text);
    $('stop').disabled = false;
    const running = adapter === 'eventsource' ? sendWithEventSource(text, turn) : sendWithClient(text, turn);
    const mine = current;
    await running;
    turn.end();
    if (current === mine) {
      current = undefined;
      $('stop').disabled = true;
    }
  }

  if (!sdk) {
    notice('The client SDK (/sse2ws-client.js) did not load.');
    return;
  }
  for (const radio of document.querySelectorAll('input[name=protocol]')) {
    radio.checked = radio.value === protocol;
    radio.addEventListener('change', () => {
      protocol = radio.value;
      params.set('protocol', protocol);
      history.replaceState(null, '', '?' + params);
      $('adapter-link').href = adapterHref();
      if (current) current.stop();
      if (adapter === 'client') connectClient();
    });
  }
  const adapterHref = () => {
    const next = new URLSearchParams(params);
    if (adapter === 'eventsource') next.delete('adapter');
    else next.set('adapter', 'eventsource');
    return '?' + next;
  };
  $('adapter').textContent = adapter === 'eventsource' ? 'BridgeEventSource (one per message)' : 'connect() client';
  $('adapter-link').textContent = adapter === 'eventsource' ? 'use connect()' : 'use BridgeEventSource';
  $('adapter-link').href = adapterHref();
  $('composer').addEventListener('submit', send);
  $('stop').addEventListener('click', () => current && current.stop());
  document.body.dataset.adapter = adapter;
  // The adapter repairs drops silently (as EventSource would reconnect): there is nothing to count.
  $('reconnects').parentElement.hidden = adapter === 'eventsource';
  if (adapter === 'client') connectClient();
  else setState('idle');
  document.body.dataset.ready = 'true';
})();
`;

/** The page's HTML, with the style and script above inlined. */
export function toPlaygroundHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sse2ws playground</title>
<link rel="icon" href="data:,">
<style>${PLAYGROUND_STYLE}</style>
</head>
<body>
<header>
  <h1>sse2ws playground</h1>
  <span id="state" data-testid="state" data-state="idle">idle</span>
  <span class="muted"><span id="reconnects" data-testid="reconnects">0</span> reconnects</span>
  <fieldset data-testid="protocol">
    <label><input type="radio" name="protocol" value="socketio" data-testid="protocol-socketio"> Socket.IO</label>
    <label><input type="radio" name="protocol" value="ws" data-testid="protocol-ws"> WebSocket /ws</label>
  </fieldset>
  <span class="muted">client: <span id="adapter" data-testid="adapter"></span>
    (<a id="adapter-link" data-testid="adapter-link" href="?adapter=eventsource">use BridgeEventSource</a>)</span>
</header>
<main id="transcript" data-testid="transcript" aria-live="polite">
  <p id="hint" class="muted">Send a message: the answer streams from the bridge's upstream (with no
  <code>--upstream</code>, the embedded demo backend). Cut the connection (stop the network, restart
  the bridge within the resume grace) and the client reconnects and resumes where it left off.</p>
</main>
<p id="notice" data-testid="notice" role="alert" hidden></p>
<form id="composer" data-testid="composer">
  <input id="message" data-testid="message" autocomplete="off" value="Hello, bridge!" aria-label="Message">
  <button id="send" data-testid="send" type="submit">Send</button>
  <button id="stop" data-testid="stop" type="button" disabled>Stop</button>
</form>
<script src="${CLIENT_BUNDLE_PATH}"></script>
<script>${PLAYGROUND_SCRIPT}</script>
</body>
</html>
`;
}
