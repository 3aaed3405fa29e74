/**
 * The demo page served at `/`: a small realtime chat on the script-tag build. Self-contained
 * (inline CSS and JS, no external resources); it loads `/holdfast.umd.min.js` from this server.
 * Stable ids for browser tests: #state #rtt #queue #name #text #send #log #drop.
 */
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>holdfast demo chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 42rem; padding: 1rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  #status { display: flex; gap: 1rem; align-items: center; padding: .4rem .6rem; background: #f2f2f2; border-radius: 6px; }
  #status b { font-weight: 600; }
  #state[data-state="open"] { color: #137333; }
  #state[data-state="reconnecting"], #state[data-state="connecting"] { color: #b06000; }
  #state[data-state="closed"], #state[data-state="closing"] { color: #a50e0e; }
  #drop { margin-left: auto; }
  #log { list-style: none; padding: .5rem; margin: .8rem 0; height: 20rem; overflow-y: auto; border: 1px solid #ddd; border-radius: 6px; }
  #log li { margin: .15rem 0; word-break: break-word; }
  #log li.system { color: #777; font-style: italic; }
  form { display: flex; gap: .5rem; }
  #name { width: 8rem; }
  #text { flex: 1; }
  #missing { padding: 1rem; background: #fde7e9; border: 1px solid #a50e0e; border-radius: 6px; }
</style>
</head>
<body>
<h1>holdfast demo chat</h1>
<div id="status">
  <span>state: <b id="state" data-state="connecting">connecting</b></span>
  <span>rtt: <b id="rtt">–</b></span>
  <span>queue: <b id="queue">0</b></span>
  <button id="drop" type="button" title="Drops every connection without a close frame">Drop link</button>
</div>
<ul id="log"></ul>
<form id="form">
  <input id="name" placeholder="name" maxlength="32" autocomplete="off">
  <input id="text" placeholder="message" maxlength="500" autocomplete="off">
  <button id="send" type="submit">Send</button>
</form>
<script src="/holdfast.umd.min.js"></script>
<script>
(function () {
  var log = document.getElementById('log');
  function line(text, system) {
    var li = document.createElement('li');
    li.textContent = text;
    if (system) li.className = 'system';
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }
  if (typeof window.Holdfast === 'undefined' || typeof window.Holdfast.connect !== 'function') {
    var box = document.createElement('p');
    box.id = 'missing';
    box.textContent = 'The holdfast script (/holdfast.umd.min.js) did not load. Run "npm run build" and reload.';
    document.body.insertBefore(box, document.getElementById('status'));
    document.getElementById('state').textContent = 'unavailable';
    return;
  }
  var stateEl = document.getElementById('state');
  var rttEl = document.getElementById('rtt');
  var queueEl = document.getElementById('queue');
  var nameEl = document.getElementById('name');
  var textEl = document.getElementById('text');
  nameEl.value = 'guest-' + Math.floor(Math.random() * 1000);

  var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  // A short heartbeat so that the round-trip time shows within seconds (the default is 25 s).
  var socket = window.Holdfast.connect(scheme + location.host + '/', { heartbeat: { interval: 3000, timeout: 5000 }, use: [window.Holdfast.rpc()] });
  socket.on('state', function (change) {
    stateEl.textContent = change.to;
    stateEl.setAttribute('data-state', change.to);
  });
  socket.on('open', function () { line('connected', true); });
  socket.on('reconnecting', function () { line('link lost, reconnecting…', true); });
  socket.on('close', function (event) { if (!event.willReconnect) line('closed (' + event.code + ')', true); });
  socket.onEvent('chat', function (data) {
    var name = data && typeof data.name === 'string' ? data.name : '?';
    var text = data && typeof data.text === 'string' ? data.text : '';
    line(name + ': ' + text, false);
  });

  document.getElementById('form').addEventListener('submit', function (event) {
    event.preventDefault();
    var text = textEl.value.trim();
    if (!text) return;
    socket.emit('chat', { name: nameEl.value.trim() || 'guest', text: text });
    textEl.value = '';
    textEl.focus();
  });
  document.getElementById('drop').addEventListener('click', function () {
    fetch('/demo/drop', { method: 'POST' }).catch(function () { line('drop request failed', true); });
  });
  setInterval(function () {
    var rtt = socket.rtt;
    rttEl.textContent = typeof rtt === 'number' ? Math.round(rtt) + ' ms' : '–';
    queueEl.textContent = String(socket.queue.length);
  }, 1000);
})();
</script>
</body>
</html>
`;
