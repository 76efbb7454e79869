// The rollout card's charts: each judged analysis interval's success rate and p99 latency,
// the new version (the canary, or a blue-green's preview) against the stable version, with the
// thresholds each interval was judged by drawn as lines and each interval's verdict on its
// point. Drawn as inline SVG from the rollout view (src/api/rollout_view.h: `intervals`, and
// the analyses' `criteria` for the interval being measured); no chart library. app.js calls
// rolloutCharts() for every card it builds, so the charts follow the view as intervals end.
// Server strings reach the page as text nodes only.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
// viewBox units; the chart scales to its box's width (about 220 px in a card, so text stays
// near its 9.5-unit size).
const CHART = { width: 240, height: 124, left: 42, right: 6, top: 10, bottom: 18 };
const MIN_SLOTS = 6;  // a first point sits at the left, not alone in the middle of the chart

function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let chartIds = 0;  // ids tie each chart to its <title> and <desc>

// "99.50" -> "99.5", "2.0" -> "2"; a number without a decimal point is left alone.
function trimZeros(s) {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

function chartPercent(x) {
  if (x >= 99.995 || x <= 0) return `${Math.round(x)}%`;
  return `${trimZeros(x.toFixed(x >= 99 ? 2 : 1))}%`;
}

function chartMillis(ms) {
  if (ms >= 1000) return `${trimZeros((ms / 1000).toPrecision(3))} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${trimZeros(ms.toPrecision(2))} ms`;
}

// The two charts. `value` reads a side ({requests, success_rate, latency_samples, p99_ms}) and
// is null when the side has nothing to show; `limit` reads a verdict's or an analysis's
// threshold (null when not checked).
const CHART_METRICS = [
  {
    key: 'success_rate',
    title: 'Success rate',
    what: 'share of requests that were not 5xx or router errors',
    value: (side) => (side && side.requests > 0 ? 100 * side.success_rate : null),
    limit: (c) => (c && typeof c.min_success_rate === 'number' ? 100 * c.min_success_rate : null),
    limitWord: 'at least',
    limitSymbol: '≥',
    format: chartPercent,
    scale: successScale,
  },
  {
    key: 'latency_p99',
    title: 'p99 latency',
    what: '99th percentile of response time, log scale',
    value: (side) => (side && side.latency_samples > 0 && side.p99_ms > 0 ? side.p99_ms : null),
    limit: (c) => (c && typeof c.max_p99_ms === 'number' ? c.max_p99_ms : null),
    limitWord: 'at most',
    limitSymbol: '≤',
    format: chartMillis,
    scale: latencyScale,
  },
];

// Success rates crowd near 100%: the axis spans from a little below the lowest value or
// threshold up to 100%, so a 99% threshold and a 99.5% canary are visibly apart.
function successScale(values) {
  let lo = Math.min(100, ...values);
  if (lo > 99.9) lo = 99;
  lo = Math.max(0, lo - (100 - lo) * 0.25);
  const y = (v) => (100 - v) / (100 - lo);  // 0 at the top, 1 at the bottom
  return { y, ticks: [100, lo] };
}

// Latencies span decades (a 2 ms canary under a 2 s threshold): a log axis keeps both on it.
function latencyScale(values) {
  const positive = values.filter((v) => v > 0);
  let lo = positive.length ? Math.min(...positive) / 2 : 1;
  let hi = positive.length ? Math.max(...positive) * 2 : 100;
  if (hi / lo < 10) { lo /= 2; hi *= 2; }
  const [a, b] = [Math.log10(lo), Math.log10(hi)];
  const y = (v) => (b - Math.log10(Math.max(v, lo))) / (b - a);
  const ticks = [];
  for (let e = Math.ceil(a); e <= Math.floor(b); ++e) ticks.push(10 ** e);
  return { y, ticks: ticks.length >= 2 ? ticks : [hi, lo] };
}

// The interval's verdict as one mark: a fail in any analysis fails it; else an inconclusive
// one makes it inconclusive.
function intervalVerdict(interval) {
  const names = (interval.verdicts || []).map((v) => v.verdict);
  if (names.includes('fail')) return 'fail';
  if (names.includes('inconclusive')) return 'inconclusive';
  return names.length ? 'pass' : 'inconclusive';
}

// Path data through the points, broken where a point has no value.
function linePath(points) {
  let d = '';
  let open = false;
  for (const p of points) {
    if (p.y === null) { open = false; continue; }
    d += `${open ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`;
    open = true;
  }
  return d;
}

// Threshold lines, one per analysis: a level segment across each interval it judged, at the
// threshold that interval was held to (a later step may hold another), and across the slot of
// the interval being measured now at the threshold it will be judged by.
function thresholdPaths(metric, slots, x, y, slotWidth) {
  const byAnalysis = new Map();
  for (const s of slots) {
    for (const [analysis, limit] of s.limits) {
      if (!byAnalysis.has(analysis)) byAnalysis.set(analysis, []);
      byAnalysis.get(analysis).push({ slot: s.slot, limit });
    }
  }
  const paths = [];
  for (const [analysis, marks] of byAnalysis) {
    let d = '';
    let last = null;
    for (const m of marks) {
      const left = x(m.slot) - slotWidth / 2;
      const right = x(m.slot) + slotWidth / 2;
      const level = y(m.limit).toFixed(1);
      const joins = last && last.slot === m.slot - 1 && last.limit === m.limit;
      d += `${joins ? 'L' : 'M'}${(joins ? right : left).toFixed(1)},${level}`;
      if (!joins) d += `L${right.toFixed(1)},${level}`;
      last = m;
    }
    const values = [...new Set(marks.map((m) => m.limit))].map(metric.format).join(', then ');
    paths.push(svgEl('path', {
      class: 'threshold', d, 'data-threshold': metric.key, 'data-analysis': analysis,
    }, svgEl('title', {}, `${analysis}: ${metric.limitWord} ${values}`)));
    // The value where the line ends, so it is read without hovering.
    paths.push(svgEl('text', {
      class: 'threshold-label', x: x(last.slot) + slotWidth / 2 - 2, y: y(last.limit) - 3,
      'text-anchor': 'end', 'aria-hidden': 'true',
    }, `${metric.limitSymbol} ${metric.format(last.limit)}`));
  }
  return paths;
}

function sideText(metric, side) {
  if (!side) return 'not measured';
  const v = metric.value(side);
  if (v === null) return 'no requests';
  return `${metric.format(v)} (${side.requests} requests)`;
}

// [[analysis, limit]] of verdicts or running analyses ([name, criteria]) that hold this metric.
function limitsOf(metric, pairs) {
  return pairs.map(([name, c]) => [name, metric.limit(c)]).filter(([, l]) => l !== null);
}

// The chart's text alternative: what the last interval measured of both versions, the
// threshold and the verdict; before the first, what it will be judged by.
function chartDescription(metric, p, intervals, running) {
  const last = intervals[intervals.length - 1];
  const held = (limits, join) => limits.map(([a, l]) =>
    `${a}${join}${metric.limitWord} ${metric.format(l)}`).join(', ');
  if (!last) {
    const limits = limitsOf(metric, running);
    return `No interval judged yet${limits.length ? `; the first is judged by ${held(limits, ': ')}` : ''}.`;
  }
  const limits = limitsOf(metric, (last.verdicts || []).map((v) => [v.analysis, v]));
  return `Interval ${last.interval} (step ${last.step}), the last of ${intervals.length} shown: ` +
    `revision ${p.new_revision} ${sideText(metric, last.canary)}, revision ` +
    `${p.stable_revision} ${sideText(metric, last.baseline)}; ` +
    (limits.length ? held(limits, ' threshold ') : `no ${metric.title.toLowerCase()} threshold`) +
    `; verdict ${intervalVerdict(last)}.`;
}

// The analyses judging the interval being measured now: [[name, criteria]].
function runningAnalyses(p) {
  const out = [];
  const stepName = p.strategy === 'blue_green' ? 'pre-promotion analysis' : 'step analysis';
  if (p.step_analysis && p.step_analysis.criteria) out.push([stepName, p.step_analysis.criteria]);
  if (p.background_analysis && p.background_analysis.criteria) {
    out.push(['background analysis', p.background_analysis.criteria]);
  }
  return out;
}

// One chart as <figure>: the SVG (role img, named by its <title>, described by its <desc>,
// which says what the last interval measured) and a caption.
function metricChart(metric, p, intervals, running) {
  const id = `rollout-chart-${++chartIds}`;
  const pending = running.some(([, c]) => metric.limit(c) !== null) ? 1 : 0;
  const slotCount = Math.max(MIN_SLOTS, intervals.length + pending);
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const slotWidth = plotWidth / slotCount;
  const x = (slot) => CHART.left + (slot + 0.5) * slotWidth;

  const slots = intervals.map((interval, i) => ({
    slot: i,
    interval,
    canary: metric.value(interval.canary),
    baseline: metric.value(interval.baseline),
    limits: limitsOf(metric, (interval.verdicts || []).map((v) => [v.analysis, v])),
  }));
  if (pending) {
    slots.push({
      slot: intervals.length, interval: null, canary: null, baseline: null,
      limits: limitsOf(metric, running),
    });
  }
  const values = slots.flatMap((s) => [s.canary, s.baseline, ...s.limits.map(([, l]) => l)])
    .filter((v) => v !== null);
  const scale = metric.scale(values);
  const y = (v) => CHART.top + scale.y(v) * plotHeight;
  const bottom = CHART.top + plotHeight;

  const measured = slots.filter((s) => s.interval);
  const canaryPoints = measured.map((s) => ({ x: x(s.slot), y: s.canary === null ? null : y(s.canary) }));
  const baselinePoints = measured.map((s) => ({ x: x(s.slot), y: s.baseline === null ? null : y(s.baseline) }));

  const last = intervals[intervals.length - 1];
  const desc = chartDescription(metric, p, intervals, running);

  const svg = svgEl('svg', {
    class: 'chart', viewBox: `0 0 ${CHART.width} ${CHART.height}`, role: 'img',
    'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-desc`,
    'data-metric': metric.key, 'data-points': intervals.length,
  },
    svgEl('title', { id: `${id}-title` },
          `${metric.title} per analysis interval: revision ${p.new_revision} against ` +
          `revision ${p.stable_revision}`),
    svgEl('desc', { id: `${id}-desc` }, desc),
    svgEl('g', { class: 'axis', 'aria-hidden': 'true' },
      scale.ticks.map((t) => [
        svgEl('line', { x1: CHART.left, x2: CHART.width - CHART.right, y1: y(t), y2: y(t) }),
        svgEl('text', { x: CHART.left - 5, y: y(t) + 3.5, 'text-anchor': 'end' }, metric.format(t)),
      ]),
      svgEl('line', { class: 'base', x1: CHART.left, x2: CHART.width - CHART.right, y1: bottom, y2: bottom }),
      measured.length ? [
        svgEl('text', { x: x(0), y: CHART.height - 5, 'text-anchor': 'middle' }, `#${measured[0].interval.interval}`),
        measured.length > 1 ? svgEl('text', {
          x: x(measured[measured.length - 1].slot), y: CHART.height - 5, 'text-anchor': 'middle',
        }, `#${last.interval}`) : null,
      ] : svgEl('text', {  // beside the slot of the interval being measured
        x: (x(pending) - slotWidth / 2 + CHART.width - CHART.right) / 2,
        y: CHART.top + plotHeight / 2, 'text-anchor': 'middle',
      }, 'measuring interval 1')),
    pending ? svgEl('rect', {
      class: 'pending', x: x(intervals.length) - slotWidth / 2, y: CHART.top,
      width: slotWidth, height: plotHeight, 'aria-hidden': 'true',
    }, svgEl('title', {}, 'the interval being measured now')) : null,
    thresholdPaths(metric, slots, x, y, slotWidth),
    svgEl('path', { class: 'series baseline', d: linePath(baselinePoints), 'aria-hidden': 'true' }),
    measured.filter((s) => s.baseline !== null).map((s) => svgEl('circle', {
      class: 'baseline', cx: x(s.slot), cy: y(s.baseline), r: 2,
      'data-series': 'baseline', 'data-interval': s.interval.interval,
    })),
    svgEl('path', { class: 'series canary', d: linePath(canaryPoints), 'aria-hidden': 'true' }),
    measured.map((s) => {
      const verdict = intervalVerdict(s.interval);
      const title = [
        `interval ${s.interval.interval} (step ${s.interval.step}): ${verdict}`,
        `revision ${p.new_revision}: ${sideText(metric, s.interval.canary)}`,
        `revision ${p.stable_revision}: ${sideText(metric, s.interval.baseline)}`,
        ...(s.interval.verdicts || []).map((v) => `${v.analysis}: ${v.summary}`),
      ].join('\n');
      return svgEl('circle', {
        class: `point ${verdict}${s.canary === null ? ' nodata' : ''}`,
        cx: x(s.slot), cy: s.canary === null ? bottom : y(s.canary), r: verdict === 'fail' ? 4.5 : 3.5,
        'data-series': 'canary', 'data-interval': s.interval.interval, 'data-verdict': verdict,
        'data-value': s.canary === null ? 'none' : s.canary,
      }, svgEl('title', {}, title));
    }));
  return el('figure', { class: 'chart-box', dataset: { metric: metric.key } },
    svg, el('figcaption', {}, el('b', {}, metric.title), ` — ${metric.what}`));
}

// Why a card has no charts, or null when it has them.
function chartNote(p, steps, running) {
  if (p.strategy === 'rolling') {
    return 'A rolling replace is not judged by analysis: each new instance must pass its ' +
      'health check before the next old one goes, so there are no intervals to plot.';
  }
  if ((p.intervals || []).length || running.length) return null;
  const ahead = steps.findIndex((s, i) => i + 1 >= p.step && s && typeof s === 'object' &&
                                         'analysis' in s);
  if (ahead >= 0) {
    return `Step ${ahead + 1} judges revision ${p.new_revision}: its success rate and p99, ` +
      'interval by interval, will be plotted here against the stable version.';
  }
  if (p.strategy === 'canary') {
    return 'This canary has no analysis, so nothing is judged and there is nothing to plot: ' +
      'an analysis step (or a background analysis) makes cairn judge it interval by interval.';
  }
  return 'No analysis is judging this rollout now, so there is nothing to plot.';
}

// The charts of a rollout card (or a note saying why there are none). `steps` are the canary's
// steps as the file wrote them, when known.
function rolloutCharts(p, steps) {
  const running = runningAnalyses(p);
  const note = chartNote(p, steps || [], running);
  if (note) return el('p', { class: 'charts-note muted' }, note);
  const intervals = p.intervals || [];
  const every = running.length ? running[0][1].interval_ms : null;
  const compared = intervals.some((i) => (i.verdicts || []).some((v) => v.compare_baseline)) ||
    running.some(([, c]) => c.compare_baseline);
  return el('section', { class: 'charts', 'aria-label': 'analysis intervals' },
    el('div', { class: 'chart-grid' }, CHART_METRICS.map((m) => metricChart(m, p, intervals, running))),
    el('div', { class: 'chart-legend' },
      el('span', { class: 'key canary' }, el('i'), `r${p.new_revision} (new)`),
      el('span', { class: 'key baseline' }, el('i'),
         `r${p.stable_revision} (stable${compared ? ', compared' : ', for reference'})`),
      el('span', { class: 'key threshold' }, el('i'), 'threshold'),
      el('span', { class: 'key pass' }, el('i'), 'pass'),
      el('span', { class: 'key fail' }, el('i'), 'fail'),
      el('span', { class: 'key inconclusive' }, el('i'), 'inconclusive'),
      every ? el('span', { class: 'muted' }, `one point per interval of ${every / 1000} s`) : null));
}
