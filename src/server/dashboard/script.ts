/**
 * The dashboard's script (served as `/dashboard.js`). It follows `/api/events` with `fetch` — an
 * `EventSource` cannot send the API key in a header, and a key in the URL would end up in logs —
 * parses the Server-Sent Events itself, and reconnects with `Last-Event-ID` after a drop.
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var KEY = 'rxdaemon-api-key';
  var lastEventId = null;
  var mi = new Map();
  var points = [];
  var refreshTimer = null;
  var $ = function (id) { return document.getElementById(id); };

  function key() { return sessionStorage.getItem(KEY) || ''; }
  function headers(extra) {
    var h = Object.assign({ authorization: 'Bearer ' + key() }, extra || {});
    return h;
  }
  function askForKey() {
    sessionStorage.removeItem(KEY);
    $('app').hidden = true;
    $('login').hidden = false;
    setStatus('locked', '');
  }
  function setStatus(text, cls) { var s = $('status'); s.textContent = text; s.className = cls; }

  function api(path, options) {
    return fetch(path, Object.assign({}, options, { headers: headers(options && options.headers) })).then(function (r) {
      // A wrong key: ask again, and answer nothing (no unhandled rejection anywhere).
      if (r.status === 401) { askForKey(); return null; }
      return r;
    });
  }
  function getJson(path) {
    return api(path).then(function (r) { return r && r.ok ? r.json() : null; }).catch(function () { return null; });
  }

  // --- live events ---------------------------------------------------------------------------
  function follow() {
    var h = {};
    if (lastEventId !== null) h['last-event-id'] = String(lastEventId);
    api('/api/events', { headers: h }).then(function (response) {
      if (response === null) return;
      if (!response.ok || !response.body) throw new Error('events: ' + response.status);
      setStatus('live', 'live');
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error('stream ended');
          buffer += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (!key()) return;
      setStatus('reconnecting', 'down');
      setTimeout(follow, 2000);
    });
  }

  function dispatch(block) {
    var id = null, type = 'message', data = '';
    block.split('\n').forEach(function (line) {
      if (line.indexOf('id: ') === 0) id = Number(line.slice(4));
      else if (line.indexOf('event: ') === 0) type = line.slice(7);
      else if (line.indexOf('data: ') === 0) data += line.slice(6);
    });
    if (id !== null) lastEventId = id;
    if (!data) return;
    var event = JSON.parse(data);
    if (type === 'mi') onMI(event);
    else if (type === 'daemon' && event.type.indexOf('operation:') === 0) scheduleRefresh();
  }

  // --- multiple-instance tasks ---------------------------------------------------------------
  function onMI(e) {
    var id = e.caseId === e.taskId ? e.taskId : e.caseId + ' / ' + e.taskId;
    var t = mi.get(id);
    if (!t || (e.type === 'admitted' && t.decided && e.index === 0)) {
      t = { id: e.taskId, label: id, admitted: 0, started: 0, succeeded: 0, failed: 0, cancelled: 0, cancelledRunning: 0, decided: null };
      mi.set(id, t);
    }
    if (e.type === 'admitted') t.admitted++;
    else if (e.type === 'started') t.started++;
    else if (e.type === 'succeeded') t.succeeded++;
    else if (e.type === 'failed') t.failed++;
    else if (e.type === 'cancelled') { t.cancelled++; if (e.wasRunning) t.cancelledRunning++; }
    else if (e.type === 'decided') t.decided = e.status + ' (' + e.reason + ')';
    renderMI(id, t);
  }

  function renderMI(id, t) {
    var row = document.querySelector('[data-mi="' + CSS.escape(id) + '"]');
    if (!row) {
      row = document.createElement('div');
      row.className = 'mi';
      row.setAttribute('data-mi', id);
      row.setAttribute('data-testid', 'mi-' + t.id);
      var name = document.createElement('div');
      name.textContent = t.label;
      var bar = document.createElement('div');
      bar.className = 'bar';
      ['succeeded', 'failed', 'cancelled', 'running'].forEach(function (k) {
        var s = document.createElement('span'); s.className = k; bar.appendChild(s);
      });
      var text = document.createElement('div');
      text.className = 'counts';
      row.appendChild(name); row.appendChild(bar); row.appendChild(text);
      $('mi').prepend(row);
    }
    var running = Math.max(0, t.started - t.succeeded - t.failed - t.cancelledRunning);
    var total = Math.max(1, t.admitted);
    var widths = { succeeded: t.succeeded, failed: t.failed, cancelled: t.cancelled, running: running };
    row.querySelectorAll('.bar span').forEach(function (s) {
      s.style.width = (100 * widths[s.className] / total) + '%';
    });
    row.setAttribute('data-decided', t.decided || '');
    row.querySelector('.counts').textContent =
      t.succeeded + ' ok · ' + t.failed + ' failed · ' + t.cancelled + ' cancelled · ' + running + ' running of ' + t.admitted +
      (t.decided ? ' — ' + t.decided : '');
  }

  // --- operations ----------------------------------------------------------------------------
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; refreshOperations(); }, 200);
  }
  function refreshOperations() {
    return getJson('/api/operations').then(function (ops) {
      if (!ops) return;
      var body = $('operations');
      ops.forEach(function (op) {
        var row = body.querySelector('[data-op="' + CSS.escape(op.id) + '"]');
        if (!row) {
          row = document.createElement('tr');
          row.setAttribute('data-op', op.id);
          row.setAttribute('data-testid', 'op-' + op.id);
          for (var i = 0; i < 7; i++) row.appendChild(document.createElement('td'));
          var input = document.createElement('input');
          input.size = 12; input.placeholder = 'null'; input.setAttribute('data-testid', 'payload-' + op.id);
          row.children[5].appendChild(input);
          var button = document.createElement('button');
          button.textContent = 'Execute'; button.setAttribute('data-testid', 'execute-' + op.id);
          button.addEventListener('click', function () { execute(op.id, input, row); });
          row.children[6].appendChild(button);
          body.appendChild(row);
        }
        row.children[0].textContent = op.id;
        row.children[1].textContent = op.trigger;
        row.children[2].textContent = op.active;
        row.children[3].textContent = op.queued;
        row.children[4].textContent = op.lastRun ? op.lastRun.status + ' · ' + (op.lastRun.endedAt - op.lastRun.enqueuedAt) + ' ms' : '–';
        row.children[4].setAttribute('data-testid', 'last-' + op.id);
      });
    });
  }
  function execute(id, input, row) {
    var body = input.value.trim() || 'null';
    try { JSON.parse(body); } catch (e) { row.children[4].textContent = 'payload is not JSON'; return; }
    row.children[4].textContent = 'running…';
    api('/api/operations/' + encodeURIComponent(id) + '/execute', {
      method: 'POST', body: body, headers: { 'content-type': 'application/json' },
    }).then(function (r) { return r ? r.json() : null; }).then(function () { refreshOperations(); })
      .catch(function (e) { row.children[4].textContent = String(e.message || e); });
  }

  // --- health, metrics, receipts -------------------------------------------------------------
  function poll() {
    if (!key()) return;
    Promise.all([getJson('/api/health'), getJson('/api/metrics'), getJson('/api/receipts/root')]).then(function (r) {
      var health = r[0], metrics = r[1], receipts = r[2];
      if (health) { $('health').textContent = health.status; $('health-reason').textContent = health.reason; }
      if (metrics) {
        $('throughput').textContent = metrics.throughput.toFixed(1);
        $('p99').textContent = Math.round(metrics.latency.p99);
        points.push([metrics.throughput, metrics.latency.p99]);
        if (points.length > 60) points.shift();
        drawChart();
      }
      $('root').textContent = receipts ? receipts.root + ' (' + receipts.size + ' receipts)' : 'no receipt log';
    }).catch(function () {});
  }
  function drawChart() {
    [0, 1].forEach(function (k) {
      var max = Math.max.apply(null, points.map(function (p) { return p[k]; }).concat([1]));
      var step = 600 / 59;
      $(k === 0 ? 'line-throughput' : 'line-p99').setAttribute('points', points.map(function (p, i) {
        return (i * step).toFixed(1) + ',' + (115 - 110 * p[k] / max).toFixed(1);
      }).join(' '));
    });
  }

  function start() {
    $('login').hidden = true;
    $('app').hidden = false;
    refreshOperations();
    follow();
    poll();
  }
  $('login').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('key').value.trim());
    start();
  });
  setInterval(poll, 1000);
  if (key()) start(); else askForKey();
})();
`;
