// cairn's dashboard in a real headless Chromium, driven by playwright-core. Run by
// tests/e2e/dashboard_test.sh, which starts the server, applies v1 of the hello service and
// passes everything through the environment:
//   DASHBOARD_URL   http://127.0.0.1:PORT of the cairn server
//   CAIRN           the cairn binary (CAIRN_ADDR names the server for it)
//   SPEC_V2         hello v2, a rolling update
//   SPEC_CANARY     hello v3 as a canary at 50%, judged over three intervals of 2 s (success
//                   rate and p99 thresholds), then waiting until promoted
//   LISTEN_PORT     the service port cairn's router serves hello on
//   EXPECT_STREAM   "1" when the server has /v1/events/stream: the page must say "live"
//   SCREENSHOT      where the screenshot of the canary in progress goes
//   CHROMIUM        the browser (default /usr/bin/chromium)
// Every wait is bounded; the first failed expectation ends the run with its message.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`dashboard.spec.mjs needs ${name}`);
  return v;
};
const url = env('DASHBOARD_URL');
const cairn = env('CAIRN');
const WAIT = { timeout: 20000 };

function step(text) {
  console.log(`ok: ${text}`);
}

function cli(...args) {
  return execFileSync(cairn, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],  // the tests run as root, where Chromium's sandbox cannot start
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Until the server has an event stream, asking for it is a 404 the page answers by polling.
    if (m.type() === 'error' && !(m.location().url || '').includes('/v1/events/stream')) {
      problems.push(`console error: ${m.text()}`);
    }
  });

  const response = await page.goto(`${url}/ui`);
  assert.equal(new URL(page.url()).pathname, '/ui/', '/ui redirects to /ui/');
  assert.equal(response.status(), 200);
  // Set once: still there at the end means the page updated itself, never reloaded.
  await page.evaluate(() => { window.cairnTestMarker = 'not reloaded'; });

  const hello = page.locator('#services tr[data-service="hello"]');
  await hello.waitFor(WAIT);
  await page.locator('#env', { hasText: 'e2e' }).waitFor(WAIT);
  await page.locator('#head [data-head="1"]').waitFor(WAIT);
  await hello.locator('.healthy', { hasText: '2/2' }).waitFor(WAIT);
  await page.waitForFunction(() => document.querySelectorAll(
    '#services tr[data-service="hello"] .pill[data-state="healthy"]').length === 2, null, WAIT);
  assert.match(await hello.locator('.split .legend').innerText(), /r1\s+100%/);
  await page.locator('#revisions li[data-revision="1"]').waitFor(WAIT);
  await page.locator('#events li[data-type="revision.applied"]').first().waitFor(WAIT);
  step('the page shows hello at revision 1 with its two instances healthy and 100% of traffic');

  const mode = process.env.EXPECT_STREAM === '1' ? 'live' : 'polling';
  await page.locator(`#conn[data-mode="${mode}"]`).waitFor(WAIT);
  step(`the page follows events (${mode})`);

  const lastSeq = await page.evaluate(() => Number(document.querySelector('#events li').dataset.seq));
  cli('apply', '-f', env('SPEC_V2'), '-m', 'v2 from the browser test', '--author', 'e2e');
  await page.locator('#head [data-head="2"]').waitFor(WAIT);
  await page.locator('#revisions li[data-revision="2"]', { hasText: 'v2 from the browser test' })
    .waitFor(WAIT);
  await page.waitForFunction((seq) => [...document.querySelectorAll(
    '#events li[data-type="revision.applied"]')].some((li) => Number(li.dataset.seq) > seq),
  lastSeq, WAIT);
  await page.waitForFunction(() => {
    const pills = [...document.querySelectorAll('#services tr[data-service="hello"] .pill')];
    return pills.length === 2 &&
      pills.every((p) => p.dataset.state === 'healthy' && p.textContent.startsWith('r2'));
  }, null, WAIT);
  step('an apply shows on its own: revision 2 in the header and history, its event, new instances');

  await page.locator('#revisions li[data-revision="2"]').click();
  const change = page.locator('#diff tr[data-path*="HELLO_VERSION"]');
  await change.waitFor(WAIT);
  assert.equal(await change.locator('.old').innerText(), 'v1');
  assert.equal(await change.locator('.new').innerText(), 'v2');
  step('clicking revision 2 shows its field-level diff: HELLO_VERSION v1 -> v2');

  // Every point count the success-rate chart shows, in order, to see it grow in place.
  await page.evaluate(() => {
    window.cairnChartCounts = [];
    new MutationObserver(() => {
      const svg = document.querySelector(
        '#rollouts .rollout[data-service="hello"] svg.chart[data-metric="success_rate"]');
      if (!svg) return;
      const n = svg.querySelectorAll('circle[data-series="canary"]').length;
      const seen = window.cairnChartCounts;
      if (seen[seen.length - 1] !== n) seen.push(n);
    }).observe(document.getElementById('rollouts'), { childList: true, subtree: true });
  });
  cli('apply', '-f', env('SPEC_CANARY'), '-m', 'v3 as a canary', '--author', 'e2e');
  const card = page.locator('#rollouts .rollout[data-service="hello"]');
  // The judged step needs requests in each interval: traffic through the router until it has
  // passed and the canary waits at its manual pause (bounded; the requests pace the loop).
  const trafficUntil = Date.now() + 90000;
  while (await card.locator('.stepof', { hasText: 'step 3 of 3' }).count() === 0) {
    assert.ok(Date.now() < trafficUntil, 'the judged step did not end within 90 s');
    for (let i = 0; i < 10; ++i) {
      const res = await fetch(`http://127.0.0.1:${env('LISTEN_PORT')}/`);
      await res.text();
    }
  }
  await card.locator('.weight-value', { hasText: '50%' }).waitFor(WAIT);
  assert.equal(await card.locator('.steps li.current').first().innerText(),
               '3\npause until promoted');
  assert.equal(await card.locator('.steps li.done').nth(1).innerText(),
               '2\nanalysis: success rate >= 95%, p99 <= 2s; 3 intervals of 2s');

  // The charts: one point per judged interval, as many as the API lists, each marked with its
  // verdict; the thresholds the step judged by drawn as lines.
  const view = await (await fetch(`${url}/v1/rollouts/hello`)).json();
  const judged = view.step_analysis.passed + view.step_analysis.failed +
    view.step_analysis.inconclusive;
  assert.ok(view.intervals.length >= 3, `three judged intervals at least: ${JSON.stringify(view)}`);
  assert.equal(view.intervals.length, judged, 'one interval per verdict of the step analysis');
  const verdicts = view.intervals.map((i) => i.verdicts[0].verdict);
  await page.waitForFunction((n) => {
    const charts = document.querySelectorAll(
      '#rollouts .rollout[data-service="hello"] svg.chart');
    return charts.length === 2 && [...charts].every((c) =>
      c.querySelectorAll('circle[data-series="canary"]').length === n);
  }, view.intervals.length, WAIT);
  for (const metric of ['success_rate', 'latency_p99']) {
    const chart = card.locator(`svg.chart[data-metric="${metric}"]`);
    assert.deepEqual(await chart.locator('circle[data-series="canary"]').evaluateAll(
      (points) => points.map((c) => c.dataset.verdict)), verdicts, `${metric} verdict marks`);
    assert.ok(await chart.locator(`path.threshold[data-threshold="${metric}"]`).count() >= 1,
              `${metric} has its threshold line`);
    assert.ok(await chart.locator('circle[data-series="baseline"]').count() >= 1,
              `${metric} shows the stable revision beside the canary`);
    assert.equal(await chart.getAttribute('role'), 'img');
    const title = await chart.evaluate((svg) =>
      document.getElementById(svg.getAttribute('aria-labelledby')).textContent);
    assert.match(title, /per analysis interval: revision 3 against revision 2/);
    const desc = await chart.evaluate((svg) =>
      document.getElementById(svg.getAttribute('aria-describedby')).textContent);
    const last = view.intervals[view.intervals.length - 1];
    assert.match(desc, new RegExp(`^Interval ${last.interval} \\(step 2\\).*verdict ${verdicts.at(-1)}`));
  }
  // Live: the chart was on the page with fewer points before it had them all (it shows the
  // analysis from its start, and each interval lasts 2 s), and the page never reloaded.
  const counts = await page.evaluate(() => window.cairnChartCounts);
  assert.ok(counts.length >= 2 && counts.at(-1) === view.intervals.length &&
            counts.every((n, i) => i === 0 || n > counts[i - 1]),
            `the chart grew interval by interval: ${JSON.stringify(counts)}`);
  step(`the rollout card plots ${view.intervals.length} judged intervals (success rate, p99) ` +
       `with their verdicts and thresholds, growing as they ended: ${JSON.stringify(counts)}`);
  assert.match(await hello.locator('.split .legend').innerText(), /r2\s+50%.*r3\s+50%/s);
  await page.waitForFunction(() => document.querySelectorAll(
    '#services tr[data-service="hello"] .pill[data-state="healthy"]').length >= 3, null, WAIT);
  // Traffic through cairn's router shows up in the row: requests, rate, p99.
  for (let i = 0; i < 60; ++i) {
    const res = await fetch(`http://127.0.0.1:${env('LISTEN_PORT')}/`);
    assert.equal(res.status, 200);
    await res.text();
  }
  await page.waitForFunction(() => {
    const cells = document.querySelectorAll('#services tr[data-service="hello"] td.num');
    return cells.length === 4 && Number(cells[1].textContent) >= 60 &&
      cells[0].textContent !== '—' && cells[3].textContent.endsWith('ms');
  }, null, WAIT);
  step('60 requests through the router show in the row (requests, req/s, p99)');
  await page.screenshot({ path: env('SCREENSHOT'), fullPage: true });
  step(`a canary shows its step (3 of 3), weight (50%) and split; screenshot ${env('SCREENSHOT')}`);

  await card.locator('button[data-command="resume"], button[data-command="pause"]').first()
    .waitFor(WAIT);
  await card.locator('button[data-command="pause"]').click();
  await card.locator('.reply.good', { hasText: 'pause' }).waitFor(WAIT);
  await card.locator('button[data-command="resume"]').click();
  await card.locator('.reply.good', { hasText: 'resume' }).waitFor(WAIT);
  step('Pause and Resume answer with the rollout view');

  await card.locator('button[data-command="promote"]').click();
  await page.locator('#rollouts-section').waitFor({ state: 'hidden', ...WAIT });
  await page.waitForFunction(() => {
    const row = document.querySelector('#services tr[data-service="hello"]');
    return row && /r3\s+100%/.test(row.querySelector('.split .legend').innerText);
  }, null, WAIT);
  await page.locator('#events li[data-type="rollout.promoted"]').first().waitFor(WAIT);
  await page.waitForFunction(() => {
    const pills = [...document.querySelectorAll('#services tr[data-service="hello"] .pill')];
    return pills.length === 2 &&
      pills.every((p) => p.dataset.state === 'healthy' && p.textContent.startsWith('r3'));
  }, null, WAIT);
  step('Promote finishes the canary: hello is on revision 3 with all the traffic');

  assert.equal(await page.evaluate(() => window.cairnTestMarker), 'not reloaded');
  assert.deepEqual(problems, [], 'no script errors on the page');
  await page.screenshot({ path: env('SCREENSHOT').replace(/\.png$/, '-final.png'), fullPage: true });
} finally {
  await browser.close();
}
