// cairn's dashboard. It reads the JSON API of the server that serves it (src/api/README.md)
// and follows the event stream (/v1/events/stream, server-sent events; polling /v1/events when
// the server has no stream). Every event re-reads /v1/status, so weights, health and rollouts
// move on their own. Every server string reaches the page as text (textContent), never as
// markup.
'use strict';

const REFRESH_MS = 2000;        // status and traffic, for rates and changes without an event
const POLL_MS = 1000;           // event polling while the stream is unavailable
const STREAM_RETRY_MS = 30000;  // how long polling lasts before the stream is tried again
const MAX_EVENTS = 200;         // events kept on the page
const MAX_VERDICTS = 5;         // verdict events kept per service

// ---------------------------------------------------------------------------------------------
// The API: the one place requests go out, so an API token header is added in headers() alone.

class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const api = {
  headers(extra = {}) {
    return Object.assign({ Accept: 'application/json' }, extra);
  },
  async request(method, path, body) {
    const init = { method, headers: this.headers(), cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the status line says what happened
    }
    if (!res.ok) {
      const e = json && json.error;
      throw new ApiError(e ? e.message : `${method} ${path}: HTTP ${res.status}`, res.status,
                         e ? e.code : '');
    }
    return json;
  },
  get(path) { return this.request('GET', path); },
  post(path, body) { return this.request('POST', path, body); },
};

// ---------------------------------------------------------------------------------------------
// Page state.

const state = {
  status: null,            // GET /v1/status
  traffic: null,           // GET /v1/traffic
  rates: new Map(),        // service -> requests per second over the last refresh
  lastTotals: null,        // {at, totals: Map(service -> total)} of the previous refresh
  revisions: [],           // GET /v1/revisions, oldest first
  selected: null,          // the revision number whose diff is shown
  diff: null,              // {number, changes | error}
  events: [],              // newest first
  lastSeq: 0,
  verdicts: new Map(),     // service -> newest-first verdict/analysis events
  steps: new Map(),        // "revision/service" -> the canary steps as the file wrote them
  replies: new Map(),      // service -> {ok, text} of the last rollout command
  busy: new Set(),         // services with a rollout command on its way
  connection: 'connecting',
};

// ---------------------------------------------------------------------------------------------
// DOM helpers: elements are built from data, text always as text nodes.

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'style') node.style.cssText = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const $ = (id) => document.getElementById(id);

// Replaces a container's children only when the data behind them changed, so a refresh does
// not rebuild (and flicker, or steal a click from) what did not move.
const renderedKeys = new WeakMap();
function renderInto(container, key, build) {
  if (renderedKeys.get(container) === key) return;
  renderedKeys.set(container, key);
  container.replaceChildren(...[build()].flat(Infinity).filter((n) => n));
}

// ---------------------------------------------------------------------------------------------
// Formatting.

function ago(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour12: false });
}

function percent(x, digits = 1) {
  return `${Number(x).toFixed(digits).replace(/\.0+$/, '')}%`;
}

function millis(ms) {
  if (!(ms > 0)) return '—';
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms`
                                                     : `${(ms / 1000).toFixed(2)} s`;
}

function count(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function short(hash) { return (hash || '').slice(0, 8); }

function value(v) {
  if (v === undefined) return '';
  if (v === null) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// "weight 50%", "pause 30s", "pause until promoted": one canary step as the file wrote it.
function describeStep(step) {
  if (!step || typeof step !== 'object') return value(step);
  if ('weight' in step) return `weight ${step.weight}%`;
  if ('pause' in step) {
    const p = step.pause;
    if (p === null || (typeof p === 'object' && Object.keys(p).length === 0)) {
      return 'pause until promoted';
    }
    return `pause ${typeof p === 'object' ? value(p.duration ?? p) : p}`;
  }
  if ('analysis' in step) return describeAnalysis(step.analysis);
  return Object.entries(step).map(([k, v]) => `${k} ${value(v)}`).join(', ');
}

// "analysis: success rate >= 99%, p99 <= 250ms; 3 intervals of 5s": what a judged step checks,
// from the spec's JSON (unset checks are null there).
function describeAnalysis(a) {
  if (!a || typeof a !== 'object') return 'analysis';
  const checks = [
    a.success_rate ? `success rate ${a.success_rate}` : null,
    ...[50, 90, 95, 99].map((q) => (a[`latency_p${q}`] ? `p${q} ${a[`latency_p${q}`]}` : null)),
    a.baseline === 'compare' ? 'no worse than stable' : null,
    ...(Array.isArray(a.prometheus) ? a.prometheus.map((m) => m && m.name) : []),
  ].filter(Boolean);
  const span = a.interval ? `; ${a.count ?? ''} intervals of ${a.interval}`.replace('  ', ' ') : '';
  return `analysis${checks.length ? `: ${checks.join(', ')}` : ''}${span}`;
}

function typeClass(type) {
  if (/failed|crashed|aborted|unhealthy|error|lost|drift|killed/.test(type)) return 'bad';
  if (/verdict|analysis|paused|waiting|stopping|stopped/.test(type)) return 'warn';
  if (/complete|healthy|promoted|ready|applied/.test(type)) return 'good';
  return '';
}

// ---------------------------------------------------------------------------------------------
// Rendering.

function render() {
  renderHeader();
  renderRollouts();
  renderServices();
  renderRevisions();
  renderDiff();
  renderEvents();
}

function renderHeader() {
  const s = state.status;
  $('env').textContent = s ? (s.environment || 'no environment yet') : '…';
  const head = s && s.head;
  renderInto($('head'), JSON.stringify([head, Math.floor(Date.now() / 10000)]), () => head
    ? [el('span', { class: 'rev', 'data-head': head.number }, `revision ${head.number}`),
       el('code', { class: 'hash', title: head.hash }, short(head.hash)),
       el('span', { class: 'muted' }, `${head.author} · `,
          el('time', { datetime: head.created_at, title: head.created_at }, ago(head.created_at))),
       head.message ? el('span', { class: 'msg', title: head.message }, head.message) : null]
    : el('span', { class: 'muted' }, 'no revision yet'));
  const conn = $('conn');
  conn.dataset.mode = state.connection;
  $('conn-text').textContent = {
    live: 'live', polling: 'polling', connecting: 'connecting', offline: 'server unreachable',
  }[state.connection];
  conn.title = {
    live: 'following the event stream',
    polling: 'the server has no event stream; reading /v1/events every second',
    connecting: 'connecting to the event stream',
    offline: 'the server does not answer; retrying',
  }[state.connection];
}

// Traffic of each service by version ("revision N"): summed totals, errors and the worst p99.
function trafficByService() {
  const out = new Map();
  for (const b of (state.traffic && state.traffic.backends) || []) {
    const t = out.get(b.service) || { total: 0, errors: 0, p99: 0 };
    t.total += b.total;
    t.errors += (b.requests['5xx'] || 0) + (b.requests.error || 0);
    if (b.total > 0) t.p99 = Math.max(t.p99, b.latency_ms.p99);
    out.set(b.service, t);
  }
  return out;
}

// [{revision, weight}] of a service: the rollout's split, or everything on its revision.
function weightsOf(service) {
  const p = service.progressive;
  if (p && p.stable_revision && p.new_revision !== p.stable_revision) {
    return [{ revision: p.stable_revision, weight: 100 - p.weight_percent, role: 'stable' },
            { revision: p.new_revision, weight: p.weight_percent, role: 'new' }];
  }
  return [{ revision: service.revision, weight: 100, role: 'stable' }];
}

function splitBar(weights) {
  return el('div', { class: 'split' },
    el('div', { class: 'bar' }, weights.map((w) => el('span', {
      class: `seg ${w.role}`, style: `width:${Math.max(0, Math.min(100, w.weight))}%`,
      title: `revision ${w.revision}: ${percent(w.weight)}`,
    }))),
    el('div', { class: 'legend' }, weights.map((w) => el('span', { class: `key ${w.role}` },
      el('i'), `r${w.revision} `, el('b', {}, percent(w.weight))))));
}

function instancePill(i) {
  const restarts = i.restarts > 0 ? el('span', { class: 'restarts' }, `↻${i.restarts}`) : null;
  return el('span', {
    class: `pill ${i.crash_looping ? 'crashed' : i.state}`,
    title: [`${i.id}`, `revision ${i.revision}`, `state ${i.state}`, i.health, `pid ${i.pid}`,
            `port ${i.port}`, `started ${i.started_at}`, `restarts ${i.restarts}`]
      .filter(Boolean).join('\n'),
    dataset: { instance: i.id, state: i.state },
  }, el('i'), `r${i.revision} `, el('span', { class: 'id' }, i.id.replace(/^.*-/, '')), restarts);
}

function renderServices() {
  const services = (state.status && state.status.services) || [];
  const traffic = trafficByService();
  $('services-empty').hidden = !state.status || services.length > 0;
  const key = JSON.stringify([services, [...traffic], [...state.rates]]);
  renderInto($('services'), key, () => services.map((s) => {
    const t = traffic.get(s.name) || { total: 0, errors: 0, p99: 0 };
    const rate = state.rates.get(s.name);
    const p = s.progressive;
    const healthyClass = s.healthy >= s.replicas ? 'good' : s.healthy === 0 ? 'bad' : 'warn';
    return el('tr', { dataset: { service: s.name } },
      el('td', { class: 'name' }, s.name),
      el('td', {},
        el('span', { class: 'rev' }, `r${p ? p.stable_revision : s.revision}`),
        p ? el('span', { class: 'arrow' }, ` → r${p.new_revision}`) : null,
        el('div', { class: `sub state-${s.rollout}` },
           p ? `${p.strategy} · ${p.phase}` : s.rollout,
           s.rollout_reason ? ` — ${s.rollout_reason}` : '')),
      el('td', {}, el('span', { class: `healthy ${healthyClass}` }, `${s.healthy}/${s.replicas}`)),
      el('td', { class: 'wide' }, splitBar(weightsOf(s))),
      el('td', { class: 'instances' }, s.instances.length
        ? s.instances.map(instancePill) : el('span', { class: 'muted' }, 'none')),
      el('td', { class: 'num' }, rate === undefined ? '—' : rate.toFixed(1)),
      el('td', { class: 'num' }, count(t.total)),
      el('td', { class: `num ${t.errors > 0 ? 'bad' : ''}` },
         t.total ? percent((100 * t.errors) / t.total, 2) : '—'),
      el('td', { class: 'num' }, millis(t.p99)));
  }));
}

function analysisLine(label, a) {
  if (!a) return null;
  return el('div', { class: 'analysis' },
    el('span', { class: 'label' }, label),
    el('span', { class: 'good' }, `${a.passed} passed`), ' · ',
    el('span', { class: a.failed ? 'bad' : '' }, `${a.failed} failed`), ' · ',
    el('span', {}, `${a.inconclusive} inconclusive`),
    a.outcome ? el('span', { class: `outcome ${a.outcome}` }, a.outcome) : null,
    a.reason ? el('span', { class: 'muted' }, ` ${a.reason}`) : null);
}

// An event's figures as [name, value] pairs: nested objects (where a rollout stands, a
// verdict's per-version numbers) are flattened one level into their scalar fields, so a row
// reads "weight_percent 50 step 2" rather than a JSON dump.
function figures(data) {
  if (!data || typeof data !== 'object') return [];
  const out = [];
  const seen = new Set();
  const add = (k, v) => { if (!seen.has(k)) { seen.add(k); out.push([k, v]); } };
  for (const [k, v] of Object.entries(data)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) {
        if (v2 === null || typeof v2 !== 'object') add(k2, v2);
      }
    } else if (!Array.isArray(v)) {
      add(k, v);
    }
  }
  return out;
}

function verdictRow(e) {
  const data = figures(e.data);
  return el('li', {},
    el('time', { datetime: e.at }, clock(e.at)),
    el('span', { class: typeClass(e.message || '') }, e.message),
    data.length ? el('span', { class: 'figures' }, data.map(([k, v]) =>
      el('span', { class: 'figure' }, el('span', { class: 'muted' }, `${k} `), value(v)))) : null);
}

function rolloutCard(s) {
  const p = s.progressive;
  const steps = state.steps.get(`${p.new_revision}/${s.name}`) || [];
  const reply = state.replies.get(s.name);
  const busy = state.busy.has(s.name);
  const button = (command, label, cls, disabled) => el('button', {
    class: cls, disabled: busy || disabled, dataset: { command },
    onclick: () => rolloutCommand(s.name, command),
  }, label);
  const verdicts = state.verdicts.get(s.name) || [];
  return el('article', { class: 'rollout', dataset: { service: s.name } },
    el('header', {},
      el('h3', {}, s.name),
      el('span', { class: 'tag' }, p.strategy),
      el('span', { class: 'revs' }, `r${p.stable_revision} → r${p.new_revision}`),
      el('span', { class: `phase ${p.phase}` }, p.phase.replaceAll('_', ' ')),
      p.paused ? el('span', { class: 'tag warn' }, 'paused') : null,
      el('span', { class: 'stepof' }, p.strategy === 'canary'
        ? (p.full_promotion ? 'full promotion' : `step ${p.step} of ${p.steps}`)
        : `${p.new_healthy}/${p.replicas} new healthy`)),
    steps.length ? el('ol', { class: 'steps' }, steps.map((step, i) => el('li', {
      class: i + 1 < p.step ? 'done' : i + 1 === p.step ? 'current' : '',
    }, el('span', { class: 'n' }, i + 1), describeStep(step))),
      el('li', { class: p.full_promotion ? 'current' : '' }, el('span', { class: 'n' }, '✓'),
         'full promotion')) : null,
    el('div', { class: 'weight' },
      el('div', { class: 'label' }, `revision ${p.new_revision} gets `,
         el('b', { class: 'weight-value' }, percent(p.weight_percent)), ' of the traffic'),
      el('div', { class: 'meter' }, el('span', { style: `width:${p.weight_percent}%` }))),
    analysisLine('step analysis', p.step_analysis),
    p.background_analysis && (p.background_analysis.passed || p.background_analysis.failed ||
      p.background_analysis.inconclusive) ? analysisLine('background', p.background_analysis)
      : null,
    rolloutCharts(p, steps),  // rollout_chart.js
    p.last_verdict ? el('div', { class: 'verdict' }, el('span', { class: 'label' }, 'last verdict'),
                        p.last_verdict) : null,
    p.abort_reason ? el('div', { class: 'verdict bad' }, el('span', { class: 'label' }, 'abort'),
                        p.abort_reason) : null,
    verdicts.length ? el('ul', { class: 'verdicts' }, verdicts.map(verdictRow)) : null,
    el('div', { class: 'actions' },
      button('promote', 'Promote', 'primary'),
      p.strategy === 'canary' ? button('promote-full', 'Promote fully', '') : null,
      p.paused ? button('resume', 'Resume', '') : button('pause', 'Pause', ''),
      button('abort', 'Abort', 'danger'),
      reply ? el('span', { class: `reply ${reply.ok ? 'good' : 'bad'}`, role: 'status' },
                 reply.text) : null));
}

function renderRollouts() {
  const live = ((state.status && state.status.services) || []).filter((s) => s.progressive);
  $('rollouts-section').hidden = live.length === 0;
  const key = JSON.stringify([live, [...state.steps], [...state.replies], [...state.busy],
                              [...state.verdicts].map(([k, v]) => [k, v.map((e) => e.seq)])]);
  renderInto($('rollouts'), key, () => live.map(rolloutCard));
}

function renderRevisions() {
  const headNumber = state.status && state.status.head ? state.status.head.number : 0;
  const key = JSON.stringify([state.revisions, state.selected, headNumber,
                              Math.floor(Date.now() / 10000)]);
  renderInto($('revisions'), key, () => state.revisions.slice().reverse().map((r) => el('li', {
    class: r.number === state.selected ? 'selected' : '',
    dataset: { revision: r.number },
    tabindex: 0,
    onclick: () => selectRevision(r.number),
    onkeydown: (e) => { if (e.key === 'Enter') selectRevision(r.number); },
  },
    el('span', { class: 'num' }, `#${r.number}`),
    el('code', { class: 'hash', title: r.hash }, short(r.hash)),
    el('span', { class: 'author' }, r.author),
    el('time', { datetime: r.created_at, title: r.created_at }, ago(r.created_at)),
    r.number === headNumber ? el('span', { class: 'tag good' }, 'head') : null,
    r.rollback_of ? el('span', { class: 'tag' }, `rollback of #${r.rollback_of}`) : null,
    el('span', { class: 'msg' }, r.message || el('span', { class: 'muted' }, 'no message')))));
}

function renderDiff() {
  const box = $('diff');
  const d = state.diff;
  box.hidden = !d;
  if (!d) return;
  renderInto(box, JSON.stringify(d), () => {
    const title = el('h3', {}, d.number > 1 ? `Changes in #${d.number} (from #${d.number - 1})`
                                            : `#${d.number}`);
    if (d.error) return [title, el('p', { class: 'bad' }, d.error)];
    if (d.number <= 1) return [title, el('p', { class: 'muted' }, 'The first revision: nothing before it to compare with.')];
    if (!d.changes) return [title, el('p', { class: 'muted' }, 'loading…')];
    if (d.changes.length === 0) return [title, el('p', { class: 'muted' }, 'No field changed.')];
    return [title, el('table', { class: 'changes' },
      el('thead', {}, el('tr', {}, el('th', {}, 'field'), el('th', {}, 'before'),
                         el('th', {}, 'after'))),
      el('tbody', {}, d.changes.map((c) => el('tr', { class: c.kind, dataset: { path: c.path } },
        el('td', { class: 'path' }, el('span', { class: 'kind' }, { added: '+', removed: '−',
                                                                      changed: '~' }[c.kind] || ''),
           c.path),
        el('td', { class: 'old' }, value(c.old)),
        el('td', { class: 'new' }, value(c.new))))))];
  });
}

function renderEvents() {
  $('events-count').textContent = state.events.length ? `${state.events.length} newest` : '';
  const key = JSON.stringify([state.events.length ? state.events[0].seq : 0, state.events.length]);
  renderInto($('events'), key, () => state.events.length
    ? state.events.map((e) => el('li', {
      class: e.fresh ? 'fresh' : '', dataset: { seq: e.seq, type: e.type },
    },
      el('time', { datetime: e.at, title: e.at }, clock(e.at)),
      el('span', { class: `type ${typeClass(e.type)}` }, e.type),
      el('span', { class: 'svc' }, e.service || ''),
      el('span', { class: 'msg' }, e.message,
         figures(e.data).length
           ? el('span', { class: 'figures' }, figures(e.data).map(([k, v]) =>
             el('span', { class: 'figure' }, el('span', { class: 'muted' }, `${k} `), value(v))))
           : null)))
    : el('li', { class: 'muted' }, 'No events yet.'));
  for (const e of state.events) e.fresh = false;  // an event flashes once, when it arrives
}

function showBanner(text) {
  const b = $('banner');
  b.hidden = !text;
  b.textContent = text || '';
}

// ---------------------------------------------------------------------------------------------
// Loading.

let refreshing = null;
let refreshTimer = null;

// Re-reads status and traffic soon: many events come in bursts, one read answers them all.
function scheduleRefresh(delay = 150) {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refresh();
  }, delay);
}

async function refresh() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const [status, traffic] = await Promise.allSettled([api.get('/v1/status'),
                                                        api.get('/v1/traffic')]);
    if (status.status === 'fulfilled') {
      state.status = status.value;
      showBanner('');
    } else {
      showBanner(`Cannot read /v1/status: ${status.reason.message}`);
    }
    if (traffic.status === 'fulfilled') {
      state.traffic = traffic.value;
      measureRates();
    }
    await Promise.allSettled([loadRevisionsIfMoved(), loadSteps()]);
    render();
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
  }
}

// Requests per second per service, from each backend's growth since the last refresh: a
// backend whose counters the router dropped (its version left the routes long ago) does not
// make the service's rate dip, and a new one counts from zero.
function measureRates() {
  const now = performance.now();
  const totals = new Map();  // JSON [service, version, instance] -> total
  for (const b of state.traffic.backends || []) {
    totals.set(JSON.stringify([b.service, b.version, b.instance]), b.total);
  }
  const last = state.lastTotals;
  if (last && now - last.at > 250) {
    const grown = new Map();
    for (const [key, total] of totals) {
      const service = JSON.parse(key)[0];
      const before = last.totals.get(key) || 0;
      grown.set(service, (grown.get(service) || 0) + Math.max(0, total - before));
    }
    const seconds = (now - last.at) / 1000;
    state.rates = new Map([...grown].map(([service, n]) => [service, n / seconds]));
  }
  if (!last || now - last.at > 250) state.lastTotals = { at: now, totals };
}

async function loadRevisionsIfMoved() {
  const head = state.status && state.status.head ? state.status.head.number : 0;
  const have = state.revisions.length ? state.revisions[state.revisions.length - 1].number : 0;
  if (head === have) return;
  state.revisions = await api.get('/v1/revisions');
}

// The canary steps of every rollout in progress, read once per revision from its spec.
async function loadSteps() {
  const wanted = ((state.status && state.status.services) || [])
    .filter((s) => s.progressive && s.progressive.strategy === 'canary')
    .filter((s) => !state.steps.has(`${s.progressive.new_revision}/${s.name}`));
  await Promise.all(wanted.map(async (s) => {
    const rev = await api.get(`/v1/revisions/${s.progressive.new_revision}`);
    const canary = rev.spec && rev.spec.services && rev.spec.services[s.name] &&
      rev.spec.services[s.name].strategy && rev.spec.services[s.name].strategy.canary;
    state.steps.set(`${s.progressive.new_revision}/${s.name}`,
                    (canary && Array.isArray(canary.steps)) ? canary.steps : []);
  }));
}

async function selectRevision(number) {
  state.selected = number;
  state.diff = { number };
  render();
  if (number <= 1) return;
  try {
    const d = await api.get(`/v1/diff?from=${number - 1}&to=${number}`);
    if (state.selected === number) state.diff = { number, changes: d.changes };
  } catch (e) {
    if (state.selected === number) state.diff = { number, error: e.message };
  }
  render();
}

async function rolloutCommand(service, command) {
  state.busy.add(service);
  state.replies.delete(service);
  renderRollouts();
  try {
    const view = await api.post(`/v1/rollouts/${encodeURIComponent(service)}/${command}`,
                                { author: author() });
    state.replies.set(service, {
      ok: true, text: `${command}: ${view.phase.replaceAll('_', ' ')}, ` +
                      `${percent(view.weight_percent)} on revision ${view.new_revision}`,
    });
  } catch (e) {
    state.replies.set(service, { ok: false, text: `${command} refused: ${e.message}` });
  } finally {
    state.busy.delete(service);
  }
  renderRollouts();
  scheduleRefresh(0);
}

function author() {
  return $('author').value.trim() || 'dashboard';
}

// ---------------------------------------------------------------------------------------------
// Events: the stream when the server has one, polling otherwise.

function onEvent(e, fresh = true) {
  if (!e || typeof e.seq !== 'number' || e.seq <= state.lastSeq) return;
  state.lastSeq = e.seq;
  e.fresh = fresh;
  state.events.unshift(e);
  if (state.events.length > MAX_EVENTS) state.events.length = MAX_EVENTS;
  if (e.service && (e.type === 'rollout.verdict' || e.type === 'rollout.analysis')) {
    const list = state.verdicts.get(e.service) || [];
    list.unshift(e);
    if (list.length > MAX_VERDICTS) list.length = MAX_VERDICTS;
    state.verdicts.set(e.service, list);
  }
  if (fresh) {
    renderEvents();
    scheduleRefresh();
  }
}

function setConnection(mode) {
  if (state.connection === mode) return;
  state.connection = mode;
  renderHeader();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Reads /v1/events/stream until it ends. fetch() rather than EventSource: EventSource hands a
// page only the event types it names in advance, and cairn's types are open-ended (each event
// carries `event: <type>`). Returns 'unsupported' when the server has no stream, 'failed' when
// it could not be reached, 'ended' when a stream that was live closed.
async function readStream() {
  let res;
  try {
    res = await fetch(`/v1/events/stream?after=${state.lastSeq}`, {
      headers: api.headers({ Accept: 'text/event-stream', 'Last-Event-ID': String(state.lastSeq) }),
      cache: 'no-store',
    });
  } catch {
    return 'failed';
  }
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok || !type.startsWith('text/event-stream') || !res.body) {
    try { await res.body?.cancel(); } catch { /* already closed */ }
    return res.status >= 500 && res.status !== 501 ? 'failed' : 'unsupported';
  }
  setConnection('live');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) return 'ended';
      buffer += chunk.replace(/\r\n?/g, '\n');
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        dispatchBlock(block);
      }
    }
  } catch {
    return 'ended';
  }
}

// One server-sent event: `id:`, `event:` and `data:` lines; `:` lines are comments.
function dispatchBlock(block) {
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let rest = colon < 0 ? '' : line.slice(colon + 1);
    if (rest.startsWith(' ')) rest = rest.slice(1);
    if (field === 'data') data.push(rest);
  }
  if (!data.length) return;
  try {
    onEvent(JSON.parse(data.join('\n')));
  } catch {
    // a malformed event is skipped; the next status read still shows the truth
  }
}

async function pollEvents(duration) {
  const until = Date.now() + duration;
  while (Date.now() < until) {
    try {
      const list = await api.get(`/v1/events?after=${state.lastSeq}`);
      setConnection('polling');
      for (const e of list) onEvent(e);
    } catch {
      setConnection('offline');
    }
    await sleep(POLL_MS);
  }
}

async function followEvents() {
  let backoff = 500;
  for (;;) {
    const result = await readStream();
    if (result === 'unsupported') {
      await pollEvents(STREAM_RETRY_MS);
      continue;
    }
    if (result === 'ended') {
      backoff = 500;
      setConnection('connecting');
    } else {
      setConnection('offline');
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 8000);
    scheduleRefresh(0);  // whatever happened while away
  }
}

// ---------------------------------------------------------------------------------------------

async function start() {
  const input = $('author');
  input.value = localStorage.getItem('cairn.author') || '';
  input.placeholder = 'dashboard';
  input.addEventListener('change', () => localStorage.setItem('cairn.author', input.value.trim()));

  try {
    const past = await api.get('/v1/events?after=0');
    for (const e of past.slice(-MAX_EVENTS)) onEvent(e, false);
  } catch (e) {
    showBanner(`Cannot read /v1/events: ${e.message}`);
  }
  await refresh();
  followEvents();
  for (;;) {
    await sleep(REFRESH_MS);
    await refresh();
  }
}

start();
