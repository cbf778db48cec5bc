// The status page: one EventSource, a render per snapshot, two uPlot plots.
// Everything from the service is put in with textContent, never as HTML.
import uPlot from '/assets/uplot.esm.js';
import { absent, formatAbsolute, formatBytes, formatDuration, formatRelative } from './format.js';

const $ = (id) => document.getElementById(id);
/** The latest snapshot and when it arrived here, so times can tick between pushes. */
let latest = null;
let receivedAt = 0;
const plots = { runs: null, requests: null };
/** The day of runs the plot draws: the first snapshot brings it whole, later pushes only the runs after it. */
let runsKept = [];
const DAY_MS = 24 * 60 * 60_000;
// For the browser test and the curious: the plots, the last snapshot and the runs kept.
window.safekeep = { plots, snapshot: () => latest, runs: () => runsKept };

function hostNow() {
  return latest ? latest.at + (Date.now() - receivedAt) : Date.now();
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function timeCell(at, now) {
  const td = el('td');
  if (absent(at)) {
    td.textContent = '–';
    return td;
  }
  td.append(el('span', formatRelative(at, now)), el('span', formatAbsolute(at), 'abs'));
  td.title = new Date(at).toString();
  return td;
}

function renderHeader(s) {
  $('version').textContent = s.version;
  $('connections').textContent = String(s.connections);
  $('book').textContent = !s.book ? 'unreadable (see safekeep check)' : `${s.book.users} ${s.book.users === 1 ? 'user' : 'users'}, ${s.book.entries} ${s.book.entries === 1 ? 'entry' : 'entries'}`;
  renderUptime();
}

function renderUptime() {
  if (latest) $('uptime').textContent = formatDuration(latest.uptimeMs + (Date.now() - receivedAt));
}

function renderJobs(s) {
  const body = $('jobs').tBodies[0];
  const now = hostNow();
  const rows = s.jobs.map((job) => {
    const tr = el('tr');
    tr.dataset.job = job.id;
    const name = el('td');
    name.append(el('span', job.id, 'job-id'), el('span', job.source, 'abs'));
    const state = el('td');
    state.append(el('span', job.state, `state state-${job.state}`));
    const last = timeCell(job.lastRun ? job.lastRun.endedAt : null, now);
    if (job.lastRun) {
      const outcome = el('span', job.lastRun.outcome, `outcome outcome-${job.lastRun.outcome}`);
      last.prepend(outcome, ' ');
      if (job.lastRun.error) last.title = `${job.lastRun.error.code}: ${job.lastRun.error.message}`;
    }
    const damaged = el('td', String(job.damagedVersions), job.damagedVersions > 0 ? 'num damaged' : 'num');
    tr.append(name, state, last, timeCell(job.nextRunAt, now), el('td', String(job.versions), 'num versions'), el('td', formatBytes(job.totalBytes), 'num'), damaged);
    return tr;
  });
  if (rows.length === 0) {
    const td = el('td', 'no jobs yet', 'empty');
    td.colSpan = 7;
    const tr = el('tr');
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

/** The cluster's nodes and who runs which job; hidden on a single node (no `cluster` in the snapshot). */
function renderCluster(s) {
  const section = $('cluster');
  const cluster = s.cluster;
  section.hidden = !cluster;
  if (!cluster) return;
  const now = hostNow();
  const link = $('cluster-link');
  link.textContent = cluster.connected
    ? `This is node ${cluster.node}, connected to NATS at ${cluster.server || '?'}.`
    : `This is node ${cluster.node}: NOT connected to NATS; writes are refused until it reconnects.`;
  link.dataset.state = cluster.connected ? 'connected' : 'disconnected';
  $('cluster-nodes').tBodies[0].replaceChildren(
    ...cluster.nodes.map((node) => {
      const tr = el('tr');
      tr.dataset.node = node.name;
      tr.append(
        el('td', node.name === cluster.node ? `${node.name} (this)` : node.name),
        timeCell(node.seenAt, now),
        el('td', node.listening ? `${node.listening.host}:${node.listening.port}` : '–'),
        el('td', node.version),
        el('td', node.jobs.join(', ') || '–'),
      );
      return tr;
    }),
  );
  const leases = new Map(cluster.leases.map((lease) => [lease.jobId, lease.node]));
  $('cluster-jobs').tBodies[0].replaceChildren(
    ...cluster.jobs.map((job) => {
      const tr = el('tr');
      tr.dataset.job = job.jobId;
      const heard = job.heard ? `${job.heard.state}${job.heard.lastRun ? `, last run ${job.heard.lastRun.outcome}` : ''}` : '–';
      tr.append(el('td', job.jobId, 'job-id'), el('td', job.runsOn || 'nobody now'), el('td', leases.get(job.jobId) || '–'), el('td', heard));
      return tr;
    }),
  );
}

function renderRecent(s) {
  const now = hostNow();
  const items = s.recent.map((run) => {
    const li = el('li', undefined, `run run-${run.outcome}`);
    li.append(
      el('span', run.outcome, `outcome outcome-${run.outcome}`),
      el('span', run.jobId || '(unknown job)', 'job-id'),
      el('span', absent(run.size) ? (run.code || '') : formatBytes(run.size)),
      el('span', absent(run.durationMs) ? '' : formatDuration(run.durationMs)),
      el('span', `${formatRelative(run.at, now)} · ${formatAbsolute(run.at)}`, 'abs'),
    );
    return li;
  });
  $('recent').replaceChildren(...(items.length ? items : [el('li', 'none yet', 'empty')]));
}

function plotWidth(container) {
  return Math.max(300, container.clientWidth);
}

/** Takes a snapshot's runs into `runsKept`: all of them when it is complete, else those newer than the newest kept. */
function keepRuns(history, at) {
  if (history.complete) runsKept = history.runs.slice();
  else {
    const newest = runsKept.length ? runsKept[runsKept.length - 1].seq : 0;
    for (const run of history.runs) if (run.seq > newest) runsKept.push(run);
  }
  const since = at - DAY_MS;
  let old = 0;
  while (old < runsKept.length && runsKept[old].at < since) old++;
  if (old > 0) runsKept.splice(0, old);
}

function runData() {
  const runs = runsKept.filter((run) => run.outcome !== 'damaged');
  return [
    runs.map((run) => run.at / 1000),
    runs.map((run) => (absent(run.durationMs) ? null : run.durationMs / 1000)),
    runs.map((run) => run.size),
  ];
}

function requestData(s) {
  const { bucketMs, start, counts } = s.history.requests;
  // The buckets before this service started are not zero, they are unknown: gaps. At least ten buckets are
  // drawn, so that a service just started does not plot one point on a span of years.
  const started = Math.max(0, Math.floor((s.startedAt - start) / bucketMs));
  const first = Math.max(0, Math.min(started, counts.length - 10));
  const xs = [];
  const ys = [];
  for (let i = first; i < counts.length; i++) {
    xs.push((start + i * bucketMs) / 1000);
    ys.push(i < started ? null : counts[i] / (bucketMs / 1000));
  }
  return [xs, ys];
}

function makeRunsPlot(container, data) {
  return new uPlot(
    {
      width: plotWidth(container),
      height: 220,
      series: [
        {},
        { label: 'duration', stroke: '#3b6ea5', width: 2, points: { show: true, size: 6 }, scale: 's', value: (u, v) => (absent(v) ? '–' : formatDuration(v * 1000)) },
        { label: 'size', stroke: '#8a6d3b', width: 2, points: { show: true, size: 6 }, scale: 'bytes', value: (u, v) => formatBytes(v) },
      ],
      axes: [
        {},
        { scale: 's', label: 'seconds', values: (u, vals) => vals.map((v) => `${v}`) },
        { scale: 'bytes', side: 1, label: 'size', grid: { show: false }, values: (u, vals) => vals.map((v) => formatBytes(v)), size: 80 },
      ],
      scales: { s: { range: (u, min, max) => [0, Math.max(1, max ?? 1)] }, bytes: { range: (u, min, max) => [0, Math.max(1, max ?? 1)] } },
    },
    data,
    container,
  );
}

function makeRequestsPlot(container, data) {
  return new uPlot(
    {
      width: plotWidth(container),
      height: 220,
      series: [{}, { label: 'requests/s', stroke: '#4a7f4a', fill: 'rgba(74,127,74,0.12)', width: 2, points: { show: true, size: 4 }, value: (u, v) => (absent(v) ? '–' : v.toFixed(2)) }],
      axes: [{ space: 80 }, { label: 'per second' }],
      scales: {
        y: { range: (u, min, max) => [0, Math.max(0.1, max ?? 0.1)] },
      },
    },
    data,
    container,
  );
}

function renderPlots(s) {
  const runs = runData();
  const requests = requestData(s);
  const runsBox = $('plot-runs');
  const requestsBox = $('plot-requests');
  if (!plots.runs) plots.runs = makeRunsPlot(runsBox, runs);
  else plots.runs.setData(runs);
  if (!plots.requests) plots.requests = makeRequestsPlot(requestsBox, requests);
  else plots.requests.setData(requests);
  runsBox.dataset.points = String(runs[0].length);
  requestsBox.dataset.points = String(requests[0].length);
}

function render(s) {
  latest = s;
  receivedAt = Date.now();
  keepRuns(s.history, s.at);
  renderHeader(s);
  renderJobs(s);
  renderCluster(s);
  renderRecent(s);
  renderPlots(s);
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}

function connect() {
  const live = $('live');
  const source = new EventSource('/events');
  source.addEventListener('open', () => {
    live.textContent = 'live';
    live.dataset.state = 'live';
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself (the service says after 2 s); the page says it is behind meanwhile.
    live.textContent = 'reconnecting…';
    live.dataset.state = 'down';
  });
  source.addEventListener('snapshot', (event) => render(JSON.parse(event.data)));
}

window.addEventListener('resize', () => {
  for (const [id, plot] of [['plot-runs', plots.runs], ['plot-requests', plots.requests]]) {
    if (plot) plot.setSize({ width: plotWidth($(id)), height: 220 });
  }
});
// Relative times ("3 s ago", "in 59 min") move on between pushes too.
setInterval(() => {
  if (!latest) return;
  renderUptime();
  renderJobs(latest);
  renderRecent(latest);
}, 1000);
connect();
