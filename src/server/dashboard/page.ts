/**
 * The dashboard: one page, no build step. Its script is served from `/dashboard.js` (not inline) so
 * the Content-Security-Policy can forbid inline scripts.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rxdaemon</title>
<style>
  :root { color-scheme: light dark; --ok: #2e9d5b; --bad: #d64545; --off: #9a9a9a; --run: #3b7dd8; --wait: #d9d9d9; }
  [hidden] { display: none !important; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; padding: 16px 24px; max-width: 1100px; }
  h1 { font-size: 20px; margin: 0 0 12px; display: flex; gap: 12px; align-items: baseline; }
  h2 { font-size: 15px; margin: 20px 0 8px; }
  #status { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: var(--wait); color: #222; }
  #status.live { background: var(--ok); color: #fff; }
  #status.down { background: var(--bad); color: #fff; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #8884; font-variant-numeric: tabular-nums; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; }
  .card { border: 1px solid #8886; border-radius: 8px; padding: 10px 12px; }
  .big { font-size: 22px; font-weight: 600; }
  .bar { display: flex; height: 16px; border-radius: 4px; overflow: hidden; background: var(--wait); min-width: 240px; }
  .bar span { display: block; height: 100%; transition: width .2s; }
  .succeeded { background: var(--ok); } .failed { background: var(--bad); } .cancelled { background: var(--off); } .running { background: var(--run); }
  .mi { display: grid; grid-template-columns: 220px 1fr 260px; gap: 12px; align-items: center; margin: 6px 0; }
  code { font-size: 12px; word-break: break-all; }
  svg { width: 100%; height: 120px; }
  form#login { display: flex; gap: 8px; margin: 24px 0; }
  input { font: inherit; padding: 4px 6px; }
  button { font: inherit; padding: 3px 10px; cursor: pointer; }
  .legend span { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; }
</style>
</head>
<body>
<h1>rxdaemon <span id="status" data-testid="status">connecting</span></h1>
<form id="login" hidden>
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="off" size="50" placeholder="rxd_…" data-testid="key">
  <button type="submit" data-testid="login">Connect</button>
</form>
<main id="app" hidden>
  <div class="grid">
    <div class="card"><div>Health</div><div class="big" id="health" data-testid="health">–</div><div id="health-reason"></div></div>
    <div class="card"><div>Throughput</div><div class="big" id="throughput">–</div><div>runs/s</div></div>
    <div class="card"><div>p99 latency</div><div class="big" id="p99">–</div><div>ms</div></div>
    <div class="card"><div>Receipts Merkle root</div><code id="root" data-testid="root">–</code></div>
  </div>
  <h2>Throughput and p99 over time</h2>
  <svg id="chart" viewBox="0 0 600 120" preserveAspectRatio="none" role="img" aria-label="throughput and p99 latency">
    <polyline id="line-throughput" fill="none" stroke="var(--ok)" stroke-width="2" points=""></polyline>
    <polyline id="line-p99" fill="none" stroke="var(--run)" stroke-width="2" points=""></polyline>
  </svg>
  <div class="legend"><span class="succeeded"></span>throughput <span class="running"></span>p99</div>
  <h2>Operations</h2>
  <table><thead><tr><th>id</th><th>trigger</th><th>active</th><th>queued</th><th>last run</th><th>payload (JSON)</th><th></th></tr></thead>
  <tbody id="operations"></tbody></table>
  <h2>Multiple-instance tasks</h2>
  <div class="legend"><span class="succeeded"></span>succeeded<span class="failed"></span>failed<span class="cancelled"></span>cancelled<span class="running"></span>running</div>
  <div id="mi"></div>
</main>
<script src="/dashboard.js"></script>
</body>
</html>
`;
