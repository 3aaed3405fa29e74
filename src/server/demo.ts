/**
 * The demo page served at `/`: a realtime chat on the script-tag build that shows what the client
 * does (a timeline of state changes, the heartbeat's round trips, the send queue) and buttons that
 * make the link fail (`/demo/*`, see demo-controls.ts). Self-contained: inline CSS, JS and icon,
 * no external resources; it loads `/holdfast.umd.min.js` from this server. Everything on it is
 * driven by the socket's events, nothing is polled.
 * Stable ids for tests: #state #rtt #spark #queue #counters #name #text #send #log #drop #outage
 * #outage-seconds #freeze #control-status #timeline.
 */
const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%230b5cad'/%3E%3Cpath d='M9 8v16M23 8v16M9 16h14' stroke='white' stroke-width='3.5' stroke-linecap='round'/%3E%3C/svg%3E";

export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>holdfast · live demo</title>
<link rel="icon" type="image/svg+xml" href="${ICON}">
<style>
  :root { --fg: #1b1f24; --muted: #59636e; --line: #d8dee4; --bg: #f6f8fa; --card: #fff; --accent: #0b5cad;
    --ok: #116329; --ok-bg: #dafbe1; --warn: #7a4d00; --warn-bg: #fff1c2; --bad: #a40e26; --bad-bg: #ffebe9; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; align-items: center; gap: .75rem; padding: .75rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
  .brand { display: flex; align-items: center; gap: .5rem; font-weight: 700; font-size: 1.15rem; white-space: nowrap; }
  .brand small { font-weight: 400; color: var(--muted); font-size: .9rem; }
  .pill { margin-left: auto; padding: .2rem .7rem; border-radius: 999px; font-weight: 600; font-size: .9rem; background: var(--warn-bg); color: var(--warn); }
  .pill[data-state="open"] { background: var(--ok-bg); color: var(--ok); }
  .pill[data-state="closed"], .pill[data-state="closing"], .pill[data-state="unavailable"] { background: var(--bad-bg); color: var(--bad); }
  main { display: grid; gap: 1rem; padding: 1rem; max-width: 84rem; margin: 0 auto;
    grid-template-columns: minmax(0, 1fr); grid-template-areas: "metrics" "chat" "controls" "timeline"; }
  @media (min-width: 760px) { main { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); grid-template-areas: "metrics controls" "chat chat" "timeline timeline"; } }
  @media (min-width: 1100px) { main { grid-template-columns: minmax(0, 1.25fr) minmax(0, 1fr) minmax(0, 1fr); grid-template-areas: "chat metrics timeline" "chat controls timeline"; } }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem; min-width: 0; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  .hint { margin: 0 0 .75rem; color: var(--muted); font-size: .875rem; }
  #chat { grid-area: chat; display: flex; flex-direction: column; }
  #metrics { grid-area: metrics; }
  #controls { grid-area: controls; }
  #history { grid-area: timeline; }
  #log { list-style: none; margin: 0 0 .75rem; padding: .5rem; flex: 1; min-height: 14rem; max-height: 26rem; overflow-y: auto; border: 1px solid var(--line); border-radius: 8px; }
  #log li { padding: .3rem .4rem; border-radius: 6px; overflow-wrap: anywhere; }
  #log li + li { margin-top: .2rem; }
  #log li.mine { background: #eef5ff; }
  #log li .who { font-weight: 600; margin-right: .35rem; }
  #log li .status { display: inline-block; margin-left: .4rem; font-size: .8rem; color: var(--muted); }
  #log li[data-status="delivered"] .status { color: var(--ok); }
  #log li[data-status="queued"] .status { color: var(--warn); }
  #log li[data-status="dropped"] .status { color: var(--bad); }
  #log li.empty { color: var(--muted); font-style: italic; }
  form { display: grid; grid-template-columns: minmax(0, 1fr) auto; grid-template-areas: "name name" "text send"; gap: .5rem; }
  #name { grid-area: name; }
  #text { grid-area: text; }
  #send { grid-area: send; }
  @media (min-width: 480px) { form { grid-template-columns: minmax(0, 8rem) minmax(0, 1fr) auto; grid-template-areas: "name text send"; } }
  input { font: inherit; min-width: 0; padding: .45rem .6rem; border: 1px solid #8c959f; border-radius: 6px; color: var(--fg); background: #fff; }
  button { font: inherit; font-weight: 600; padding: .45rem .9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; white-space: nowrap; }
  button.secondary { background: #fff; color: var(--accent); }
  button:focus-visible, input:focus-visible { outline: 3px solid #79b8ff; outline-offset: 1px; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  .figures { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1rem; }
  .figure .label { display: block; color: var(--muted); font-size: .875rem; }
  .figure b { font-size: 1.6rem; font-variant-numeric: tabular-nums; }
  .figure small { color: var(--muted); }
  #spark { display: block; width: 100%; height: 36px; margin-top: .25rem; }
  #spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
  #queue[data-waiting] { color: var(--warn); }
  #counters { display: grid; grid-template-columns: repeat(auto-fill, minmax(6.5rem, 1fr)); gap: .25rem .75rem; margin: 1rem 0 0; font-size: .875rem; }
  #counters dt { color: var(--muted); }
  #counters dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
  .control { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; padding: .6rem 0; border-top: 1px solid var(--line); }
  .control:first-of-type { border-top: 0; padding-top: 0; }
  .control p { flex-basis: 100%; margin: 0; color: var(--muted); font-size: .875rem; }
  .control input { width: 4.5rem; }
  #control-status { margin: .5rem 0 0; min-height: 1.5em; font-size: .875rem; }
  #timeline { list-style: none; margin: 0; padding: 0; max-height: 34rem; overflow-y: auto; font-size: .875rem; }
  #timeline li { display: grid; grid-template-columns: 4.2rem minmax(0, 1fr); gap: 0 .5rem; padding: .4rem 0 .4rem .5rem; border-left: 3px solid var(--line); }
  #timeline li + li { margin-top: .25rem; }
  #timeline li[data-to="open"] { border-color: var(--ok); }
  #timeline li[data-to="reconnecting"], #timeline li[data-to="connecting"] { border-color: #d4a72c; }
  #timeline li[data-to="closed"], #timeline li[data-kind="error"] { border-color: var(--bad); }
  #timeline li[data-kind="control"] { border-color: var(--accent); background: #f3f8ff; }
  #timeline time { color: var(--muted); font-variant-numeric: tabular-nums; }
  #timeline .what { font-weight: 600; }
  #timeline .why, #timeline .detail { grid-column: 2; color: var(--muted); overflow-wrap: anywhere; }
  #timeline .detail { color: var(--fg); }
  #missing { margin: 1rem; padding: 1rem; background: var(--bad-bg); border: 1px solid var(--bad); border-radius: 8px; }
</style>
</head>
<body>
<header>
  <div class="brand"><img src="${ICON}" width="24" height="24" alt=""> holdfast <small>live demo</small></div>
  <div class="pill" id="state" data-state="connecting" role="status" aria-label="connection state">connecting</div>
</header>
<main>
  <section class="card" id="chat" aria-labelledby="chat-title">
    <h2 id="chat-title">Chat</h2>
    <p class="hint">Open this page in a second tab to talk to it. Your message shows at once as pending and is marked delivered when the server's broadcast of it comes back.</p>
    <ul id="log" aria-live="polite"><li class="empty">No messages yet.</li></ul>
    <form id="form" autocomplete="off">
      <label class="sr" for="name">Your name</label>
      <input id="name" placeholder="name" maxlength="32">
      <label class="sr" for="text">Message</label>
      <input id="text" placeholder="Write a message" maxlength="500">
      <button id="send" type="submit">Send</button>
    </form>
  </section>
  <section class="card" id="metrics" aria-labelledby="metrics-title">
    <h2 id="metrics-title">Link</h2>
    <div class="figures">
      <div class="figure">
        <span class="label">Round trip (heartbeat)</span>
        <b id="rtt">–</b>
        <svg id="spark" viewBox="0 0 100 36" preserveAspectRatio="none" role="img" aria-label="round-trip times of the last heartbeats"><polyline points=""></polyline></svg>
        <small id="rtt-range">waiting for the first pong</small>
      </div>
      <div class="figure">
        <span class="label">Send queue</span>
        <b id="queue">0</b>
        <small>messages waiting for the link</small>
      </div>
    </div>
    <dl id="counters">
      <div><dt>attempts</dt><dd id="c-attempts">0</dd></div>
      <div><dt>connects</dt><dd id="c-connects">0</dd></div>
      <div><dt>reconnects</dt><dd id="c-reconnects">0</dd></div>
      <div><dt>retries</dt><dd id="c-retries">0</dd></div>
      <div><dt>last close</dt><dd id="c-close">–</dd></div>
    </dl>
  </section>
  <section class="card" id="controls" aria-labelledby="controls-title">
    <h2 id="controls-title">Make it fail</h2>
    <div class="control">
      <button id="drop" type="button" class="secondary">Drop link</button>
      <p>The server cuts <strong>this tab's</strong> connection without a close frame (code 1006). Other tabs stay connected.</p>
    </div>
    <div class="control">
      <label for="outage-seconds">Stop the server for</label>
      <input id="outage-seconds" type="number" min="1" max="60" value="5" inputmode="numeric"> s
      <button id="outage" type="button" class="secondary">Stop server</button>
      <p><strong>Every tab</strong>: all links are dropped and new ones refused (HTTP 503). Send messages meanwhile and watch them queue, then drain.</p>
    </div>
    <div class="control">
      <button id="freeze" type="button" class="secondary">Freeze link</button>
      <p>Half-open, <strong>this tab</strong>: the server stops reading and answering this connection for 10 s while TCP stays up. The heartbeat (a ping every 2 s, 2 s to answer) notices.</p>
    </div>
    <p id="control-status" role="status"></p>
  </section>
  <section class="card" id="history" aria-labelledby="timeline-title">
    <h2 id="timeline-title">Timeline</h2>
    <p class="hint">Every state change with its reason; newest first.</p>
    <ol id="timeline"></ol>
  </section>
</main>
<script src="/holdfast.umd.min.js"></script>
<script>
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var stateEl = $('state');
  if (typeof window.Holdfast === 'undefined' || typeof window.Holdfast.connect !== 'function') {
    var box = document.createElement('p');
    box.id = 'missing';
    box.textContent = 'The holdfast script (/holdfast.umd.min.js) did not load. Run "npm run build" and reload.';
    document.body.insertBefore(box, document.querySelector('main'));
    stateEl.textContent = 'unavailable';
    stateEl.setAttribute('data-state', 'unavailable');
    return;
  }
  var H = window.Holdfast;
  var started = performance.now();
  var tab = Math.random().toString(36).slice(2, 10);
  var seq = 0;
  var log = $('log');
  var timeline = $('timeline');
  var nameEl = $('name');
  var textEl = $('text');
  nameEl.value = 'guest-' + Math.floor(Math.random() * 1000);

  var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  // A short heartbeat, so round trips show within seconds and a frozen link is caught in ~4 s
  // (the default is a ping every 25 s); short backoff, so an outage ends visibly soon after.
  var socket = H.connect(scheme + location.host + '/?tab=' + tab, {
    heartbeat: { interval: 2000, timeout: 2000 },
    backoff: { initialDelay: 500, maxDelay: 4000 },
    environment: H.browserEnvironment(),
    use: [H.rpc(), H.stats()],
  });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function seconds(ms) { return (ms / 1000).toFixed(1) + ' s'; }

  // Figures: read on every event and after every send; never on a timer.
  function refresh() {
    var q = socket.queue.length;
    $('queue').textContent = String(q);
    if (q > 0) $('queue').setAttribute('data-waiting', ''); else $('queue').removeAttribute('data-waiting');
    var s = socket.stats();
    $('c-attempts').textContent = String(s.attempts);
    $('c-connects').textContent = String(s.connects);
    $('c-reconnects').textContent = String(s.reconnects);
    $('c-retries').textContent = String(s.retries);
    $('c-close').textContent = s.lastCloseCode === undefined ? '–' : String(s.lastCloseCode);
  }

  // Timeline: one row per state change; the close and retry details of a change join its row.
  var current;
  function row(kind, what, why) {
    var li = el('li');
    li.setAttribute('data-kind', kind);
    li.appendChild(el('time', '', '+' + seconds(performance.now() - started)));
    li.appendChild(el('span', 'what', what));
    if (why) li.appendChild(el('span', 'why', why));
    timeline.insertBefore(li, timeline.firstChild);
    while (timeline.children.length > 60) timeline.removeChild(timeline.lastChild);
    return li;
  }
  function detail(text) {
    if (current) current.appendChild(el('span', 'detail', text));
  }
  // An attempt that fails stays one row: "reconnecting → connecting" becomes "attempt failed".
  var attempting = function () { return current && current.getAttribute('data-to') === 'connecting'; };
  socket.on('state', function (change) {
    stateEl.textContent = change.to;
    stateEl.setAttribute('data-state', change.to);
    if (change.from === 'connecting' && change.to === 'reconnecting' && attempting()) {
      current.querySelector('.what').textContent = 'attempt failed → reconnecting';
      current.querySelector('.why').textContent = change.reason;
    } else {
      current = row('state', change.from + ' → ' + change.to, change.reason);
    }
    current.setAttribute('data-to', change.to);
    refresh();
  });
  socket.on('open', function (event) {
    detail('link open' + (event.attempt > 0 ? ' after ' + event.attempt + (event.attempt === 1 ? ' retry' : ' retries') : ''));
    refresh();
  });
  socket.on('close', function (event) {
    detail('close ' + event.code + (event.reason ? ' “' + event.reason + '”' : '') + (event.wasClean ? ', clean' : ', not clean'));
    refresh();
  });
  socket.on('reconnecting', function (event) {
    detail('retry #' + event.attempt + ' in ' + seconds(event.delay));
    refresh();
  });
  socket.on('error', function (error) {
    if (socket.state === 'connecting' && attempting()) detail('error ' + error.code + ': ' + error.message);
    else row('error', 'error ' + error.code, error.message);
  });

  // Round trips: the last 30 heartbeats as a sparkline.
  var rtts = [];
  socket.on('heartbeat', function (event) {
    rtts.push(event.rtt);
    if (rtts.length > 30) rtts.shift();
    var max = Math.max.apply(null, rtts);
    var min = Math.min.apply(null, rtts);
    var step = 100 / Math.max(1, rtts.length - 1);
    // Scaled from the lowest to the highest round trip shown; a flat line sits in the middle.
    var y = function (v) { return max === min ? 18 : 33 - ((v - min) / (max - min)) * 30; };
    var points = rtts.map(function (v, i) { return (i * step).toFixed(1) + ',' + y(v).toFixed(1); });
    if (points.length === 1) points.push('100,' + y(min).toFixed(1));
    $('spark').firstElementChild.setAttribute('points', points.join(' '));
    $('rtt').textContent = Math.round(event.rtt) + ' ms';
    $('rtt-range').textContent = 'last ' + rtts.length + (rtts.length === 1 ? ' pong: ' : ' pongs: ') + Math.round(min) + '–' + Math.round(max) + ' ms';
    refresh();
  });

  // Chat: my messages show at once, pending until the server's broadcast of them comes back.
  var mine = {};
  function status(li, value, text) {
    li.setAttribute('data-status', value);
    li.querySelector('.status').textContent = text;
  }
  function message(name, text, own) {
    var empty = log.querySelector('.empty');
    if (empty) log.removeChild(empty);
    var li = el('li', own ? 'mine' : '');
    li.appendChild(el('span', 'who', name));
    li.appendChild(el('span', 'text', text));
    if (own) li.appendChild(el('span', 'status'));
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }
  socket.onEvent('chat', function (data) {
    var id = data && typeof data.id === 'string' ? data.id : '';
    var own = mine[id];
    if (own) {
      delete mine[id];
      status(own.li, 'delivered', 'delivered in ' + Math.round(performance.now() - own.at) + ' ms');
      refresh();
      return;
    }
    message(data && typeof data.name === 'string' ? data.name : '?', data && typeof data.text === 'string' ? data.text : '', false);
  });
  socket.on('drop', function (event) {
    try {
      var id = JSON.parse(String(event.data)).data.id;
      if (mine[id]) status(mine[id].li, 'dropped', 'not sent (' + event.reason + ')');
    } catch (e) { /* not one of my chat messages */ }
    refresh();
  });
  $('form').addEventListener('submit', function (event) {
    event.preventDefault();
    var text = textEl.value.trim();
    if (!text) return;
    var name = nameEl.value.trim() || 'guest';
    var id = tab + '-' + (++seq);
    var li = message(name, text, true);
    mine[id] = { li: li, at: performance.now() };
    var result = socket.emit('chat', { id: id, name: name, text: text });
    if (result === 'sent') status(li, 'sent', 'sent, waiting for the echo');
    else if (result === 'queued') status(li, 'queued', 'queued until the link is back');
    else status(li, 'dropped', 'not sent');
    textEl.value = '';
    textEl.focus();
    refresh();
  });

  // Fault controls: POST /demo/*; the answer is shown under the buttons.
  function control(path, label, done) {
    fetch(path, { method: 'POST' })
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (r) {
        var said = r.ok ? done(r.body) : 'Refused: ' + r.body.error;
        $('control-status').textContent = said;
        row('control', 'you: ' + label, said);
      })
      .catch(function () { $('control-status').textContent = 'The control request failed.'; });
  }
  $('drop').addEventListener('click', function () {
    control('/demo/drop?tab=' + tab, 'Drop link', function () { return 'The server dropped this tab\\u2019s link.'; });
  });
  $('outage').addEventListener('click', function () {
    var n = Math.min(60, Math.max(1, Math.round(Number($('outage-seconds').value) || 5)));
    control('/demo/outage?seconds=' + n, 'Stop server', function (body) { return 'Server\\u2019s WebSocket side stopped for ' + body.seconds + ' s (every tab; ' + body.dropped + (body.dropped === 1 ? ' link' : ' links') + ' dropped).'; });
  });
  $('freeze').addEventListener('click', function () {
    control('/demo/freeze?tab=' + tab, 'Freeze link', function (body) { return 'This tab\\u2019s link is frozen for ' + body.seconds + ' s: the server no longer reads it.'; });
  });
  refresh();
})();
</script>
</body>
</html>
`;
