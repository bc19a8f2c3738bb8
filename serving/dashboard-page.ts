/** What the dashboard page inlines: the chart library (uPlot's browser build and CSS), so the page loads nothing from the network. */
export interface DashboardAssets {
  readonly script: string;
  readonly css: string;
}

/** How often the page polls the API (ms). */
export const DASHBOARD_POLL_MS = 1_000;

/**
 * The live dashboard `lk serve` serves at `/`: one self-contained page that polls the public API
 * (nothing it shows is computed anywhere but in the serving layer) every second and shows, for
 * the last hour, each view in Lambda and Kappa side by side (a chart of the first measure for a
 * global view, the top keys for a keyed one), the batch horizon, each streaming namespace's
 * watermark, records read and dead-letter / too-late / duplicate counts, the latest Kappa replay's
 * progress and lag (the version it builds while the current one serves), and per mode how far the
 * newest served event is behind the clock.
 */
export function dashboardPage(assets: DashboardAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lambdakappa: live</title>
<style>${assets.css}</style>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
  .muted { color: #666; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: .6rem .8rem; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: .15rem .4rem; border-bottom: 1px solid #eee; font-variant-numeric: tabular-nums; }
  td.n, th.n { text-align: right; }
  #error { color: #a00; }
</style>
</head>
<body>
<h1>lambdakappa: live views</h1>
<div class="muted">as of <span id="as-of">…</span>; batch horizon <b id="horizon">…</b> (run <span id="batch-run">…</span>); Kappa serves <b id="kappa-version">…</b>; updates every ${DASHBOARD_POLL_MS / 1000} s</div>
<div id="batch-quality" class="muted">…</div>
<div id="error"></div>
<h2>Streaming namespaces</h2>
<table id="namespaces"><thead><tr><th>namespace</th><th>watermark</th><th>final before</th><th class="n">records read</th><th class="n">valid</th><th class="n">dead-letter</th><th class="n">too late</th><th class="n">duplicates</th></tr></thead><tbody></tbody></table>
<h2>Kappa replay</h2>
<div id="replay" class="muted">…</div>
<h2>Freshness (newest served event behind the clock)</h2>
<table id="freshness"><thead><tr><th>mode</th><th class="n">lag</th><th>watermark</th></tr></thead><tbody></tbody></table>
<h2>Views, last hour</h2>
<div id="views" class="grid"></div>
<script>${assets.script}</script>
<script>
"use strict";
const MODES = ['lambda', 'kappa'];
const charts = new Map();
const text = (id, v) => { document.getElementById(id).textContent = v == null ? '—' : String(v); };
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const num = (n) => typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: 2 }) : esc(n ?? '—');
async function get(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw Object.assign(new Error(body.error ? body.error.message : r.status), { status: r.status });
  return body;
}
function card(view) {
  let el = document.querySelector('[data-view="' + view.name + '"]');
  if (!el) {
    el = document.createElement('div');
    el.className = 'card';
    el.dataset.view = view.name;
    el.innerHTML = '<b>' + esc(view.name) + '</b> <span class="muted">' + esc(view.window) + ', ' + esc(view.description) + '</span><div class="body"></div>';
    document.getElementById('views').appendChild(el);
  }
  return el.querySelector('.body');
}
async function showGlobal(view, body, lags) {
  const measure = view.measures[0];
  const series = {};
  for (const mode of MODES) {
    try {
      const a = await get('/v1/views/' + view.name + '?mode=' + mode);
      lags[mode] = a.freshness;
      series[mode] = new Map(a.windows.map((w) => [Date.parse(w.end) / 1000, w.measures[measure]]));
    } catch (e) { series[mode] = new Map(); }
  }
  const xs = [...new Set([...series.lambda.keys(), ...series.kappa.keys()])].sort((a, b) => a - b);
  const data = [xs, xs.map((x) => series.lambda.get(x) ?? null), xs.map((x) => series.kappa.get(x) ?? null)];
  let chart = charts.get(view.name);
  if (!chart) {
    body.innerHTML = '<div class="muted">' + esc(measure) + ' per window (by window end)</div><div class="chart"></div><div class="latest"></div>';
    chart = new uPlot({ width: 400, height: 180, series: [{}, { label: 'lambda', stroke: '#1f77b4' }, { label: 'kappa', stroke: '#d62728', dash: [4, 3] }], axes: [{}, { size: 60 }] }, data, body.querySelector('.chart'));
    charts.set(view.name, chart);
  } else chart.setData(data);
  const last = (m) => { const v = [...series[m].values()]; return v.length ? v[v.length - 1] : null; };
  body.querySelector('.latest').innerHTML = MODES.map((m) => m + ' latest <b data-mode="' + m + '" data-value>' + num(last(m)) + '</b>').join(' · ');
}
async function showTop(view, body) {
  const by = view.measures[0];
  const cols = [];
  for (const mode of MODES) {
    try {
      const a = await get('/v1/views/' + view.name + '/top?by=' + encodeURIComponent(by) + '&n=5&mode=' + mode);
      cols.push({ mode, keys: a.keys.map((k) => ({ key: k.key, value: k.value[by] ?? Object.values(k.value)[0] })) });
    } catch (e) { cols.push({ mode, keys: [], note: e.status === 404 ? 'nothing to serve yet' : e.message }); }
  }
  body.innerHTML = '<div class="muted">top keys by ' + esc(by) + '</div><table><tr>' + cols.map((c) => '<th>' + c.mode + '</th><th class="n"></th>').join('') + '</tr>' +
    [0, 1, 2, 3, 4].map((i) => '<tr>' + cols.map((c) => { const k = c.keys[i]; return k ? '<td>' + esc(k.key) + '</td><td class="n" data-mode="' + c.mode + '" data-value>' + num(k.value) + '</td>' : '<td class="muted">' + (i === 0 && c.note ? esc(c.note) : '') + '</td><td></td>'; }).join('') + '</tr>').join('') + '</table>';
}
async function tick() {
  try {
    const [status, list] = await Promise.all([get('/v1/status'), get('/v1/views')]);
    text('as-of', status.asOf); text('horizon', status.batchHorizon ?? 'none yet'); text('batch-run', status.batchRun); text('kappa-version', status.kappa.namespace ?? 'no version yet');
    document.querySelector('#namespaces tbody').innerHTML = status.namespaces.map((n) => '<tr data-namespace="' + esc(n.namespace) + '"><td>' + esc(n.namespace) + '</td><td>' + esc(n.watermark ?? '—') + '</td><td>' + esc(n.finalBefore ?? '—') + '</td><td class="n" data-records>' + num(n.recordsRead) + '</td><td class="n">' + num(n.totals.valid) + '</td><td class="n">' + num(n.totals.deadLetter) + '</td><td class="n">' + num(n.totals.tooLate) + '</td><td class="n">' + num(n.totals.duplicate) + '</td></tr>').join('');
    const q = status.batchQuality ? status.batchQuality.lastFailure : null;
    document.getElementById('batch-quality').innerHTML = q == null ? 'batch quality gate: no hour rejected' :
      'batch quality gate: run <b data-gate-run>' + esc(q.runId) + '</b> at ' + esc(q.at) + ' rejected ' +
      q.failures.map((f) => '<span data-gate-check>' + esc(f.check) + '</span>' + (f.view ? ' of ' + esc(f.view) : '') + ' at ' + esc(f.hour)).join('; ') + '; the previous versions of those hours keep serving';
    const r = status.replay;
    document.getElementById('replay').innerHTML = r == null ? 'no replay has published progress' :
      '<b>' + esc(r.version) + '</b> <span data-replay-state>' + esc(r.state) + '</span> while ' + esc(r.serving ?? 'nothing') + ' serves: ' +
      '<span data-replay-read>' + num(r.offsetsRead) + '</span> of ' + num(r.offsetsToRead) + ' records read, lag <span data-replay-lag>' + num(r.lagRecords) + '</span> records' +
      (r.behindServingMs != null ? ', ' + num(r.behindServingMs / 1000) + ' s of event time behind the serving version' : '') +
      '; updated ' + num(r.ageMs / 1000) + ' s ago' + (r.error ? ' (' + esc(r.error) + ')' : '');
    const lags = {};
    for (const view of list.views) {
      const body = card(view);
      if (view.keyField === null || (Array.isArray(view.keyField) && view.keyField.length === 0)) await showGlobal(view, body, lags);
      else if (view.window.startsWith('sliding')) body.innerHTML = '<div class="muted">sliding windows: query /v1/views/' + esc(view.name) + '?key=…</div>';
      else await showTop(view, body);
    }
    document.querySelector('#freshness tbody').innerHTML = MODES.map((m) => { const f = lags[m]; return '<tr><td>' + m + '</td><td class="n" data-lag="' + m + '">' + (f && f.lagMs != null ? num(f.lagMs / 1000) + ' s' : '—') + '</td><td>' + esc(f ? f.watermark ?? '—' : '—') + '</td></tr>'; }).join('');
    text('error', '');
  } catch (e) {
    text('error', 'API unavailable: ' + e.message + ' (retrying)');
  }
}
(async function loop() { await tick(); setTimeout(loop, ${DASHBOARD_POLL_MS}); })();
</script>
</body>
</html>`;
}
