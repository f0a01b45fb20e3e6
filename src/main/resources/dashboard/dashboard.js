// The operator dashboard: polls /v1/stats once a second, charts rates from the counters with uPlot,
// looks up an IP (/v1/logins/{ip}) or a user (/v1/grants?user=) and revokes (/v1/revocations).
// Every value from the server reaches the page as text (textContent), never as markup: user names
// come from login events.
(function () {
  'use strict';

  const POLL_MS = 1000;
  const KEEP = 600; // points per chart: 10 minutes at one a second

  const el = (id) => document.getElementById(id);
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

  function node(tag, text, cls) {
    const n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return d.toLocaleString(undefined, { hour12: false });
  }

  // ---- charts ------------------------------------------------------------------------------

  const COLORS = ['#1f6feb', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7ea4',
    '#6e7781', '#953800', '#116329'];

  function rate(key) {
    return (now, before, dt) => Math.max(0, ((now[key] || 0) - (before[key] || 0)) / dt);
  }

  function level(key) {
    return (now) => now[key] || 0;
  }

  const charts = [];

  function chart(id, lines, scales) {
    const target = el(id);
    const series = [{}].concat(lines.map((line, i) => ({
      label: line.label,
      stroke: COLORS[i % COLORS.length],
      width: 1.5,
      scale: line.scale || 'y',
      value: (u, v) => (v == null ? '–' : number.format(v)),
    })));
    const axes = [{}, { scale: 'y', size: 60 }];
    if (scales && scales.right) axes.push({ scale: scales.right, side: 1, size: 60, grid: { show: false } });
    const plot = new uPlot({
      width: Math.max(300, target.clientWidth),
      height: 200,
      series: series,
      axes: axes,
      scales: { x: { time: true } },
      legend: { live: true },
    }, [[]].concat(lines.map(() => [])), target);
    charts.push({ plot: plot, lines: lines, data: [[]].concat(lines.map(() => [])), target: target });
  }

  function addPoint(t, now, before, dt) {
    for (const c of charts) {
      c.data[0].push(t);
      c.lines.forEach((line, i) => c.data[i + 1].push(line.value(now, before, dt)));
      if (c.data[0].length > KEEP) c.data.forEach((column) => column.shift());
      c.plot.setData(c.data);
    }
  }

  function buildCharts(stats) {
    const reasons = Object.keys(stats).filter((k) => k.startsWith('logins_refused.')).sort();
    chart('chart-logins', [{ label: 'logins read', value: rate('logins_read') }].concat(
      reasons.map((k) => ({ label: 'refused: ' + k.substring('logins_refused.'.length), value: rate(k) }))));
    chart('chart-grants', [
      { label: 'started', value: rate('grants_started') },
      { label: 'extended', value: rate('grants_extended') },
      { label: 'expired', value: rate('grants_expired') },
      { label: 'revoked', value: rate('grants_revoked') },
      { label: 'ended: shared address', value: rate('grants_ended_shared_address') },
    ]);
    chart('chart-live', [{ label: 'live grants', value: level('grants_live') }]);
    chart('chart-lag', [
      { label: 'expiry lag (ms)', value: level('expiry_lag_max_ms') },
      { label: 'consumer lag (records)', value: level('consumer_lag_max'), scale: 'records' },
    ], { right: 'records' });
    chart('chart-dlq', [{ label: 'dead letters', value: rate('dead_letters') }]);
    window.addEventListener('resize', () => {
      for (const c of charts) c.plot.setSize({ width: Math.max(300, c.target.clientWidth), height: 200 });
    });
  }

  // ---- live numbers ------------------------------------------------------------------------

  let previous = null; // { t, stats }

  function setTile(id, text) {
    el(id).textContent = text;
  }

  function setStatus(state, text) {
    const s = el('status');
    s.dataset.state = state;
    s.textContent = text;
  }

  function show(body) {
    const stats = body.stats;
    const t = Date.parse(body.at) / 1000;
    if (charts.length === 0) buildCharts(stats);
    setTile('tile-grants-live', whole.format(stats.grants_live || 0));
    setTile('tile-expiry-lag', whole.format(stats.expiry_lag_max_ms || 0) + ' ms');
    setTile('tile-consumer-lag', whole.format(stats.consumer_lag_max || 0));
    setTile('tile-dead-letters', whole.format(stats.dead_letters || 0));
    setTile('tile-shared-capped', whole.format(stats.grants_ended_shared_address || 0));
    setTile('tile-instances', whole.format(stats.ready || 0) + ' / ' + whole.format(body.instances));
    if (previous && t > previous.t) {
      const dt = t - previous.t;
      const before = previous.stats;
      setTile('tile-logins-rate', number.format(rate('logins_read')(stats, before, dt)));
      const refused = Object.keys(stats).filter((k) => k.startsWith('logins_refused.'))
        .reduce((sum, k) => sum + rate(k)(stats, before, dt), 0);
      setTile('tile-refused-rate', number.format(refused));
      addPoint(t, stats, before, dt);
    }
    previous = { t: t, stats: stats };
    const ready = (stats.ready || 0) === body.instances;
    if (body.incomplete) {
      setStatus('partial', 'partial: ' + body.incomplete.length + ' instance(s) did not answer');
    } else if (!ready || stats.kafka_reachable === 0) {
      setStatus('partial', stats.kafka_reachable === 0 ? 'Kafka unreachable' : 'not ready');
    } else {
      setStatus('live', 'live');
    }
    el('updated').textContent = 'updated ' + when(body.at);
  }

  async function poll() {
    try {
      const response = await fetch('/v1/stats', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      show(await response.json());
    } catch (e) {
      setStatus('down', 'no answer from the processor');
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  // ---- look up and revoke ------------------------------------------------------------------

  const result = el('result');

  function looksLikeAddress(q) {
    return /^[0-9.]+$/.test(q) || q.includes(':');
  }

  function clear() {
    while (result.firstChild) result.removeChild(result.firstChild);
  }

  function message(text, cls) {
    result.appendChild(node('p', text, cls));
  }

  async function getJson(path) {
    const response = await fetch(path, { cache: 'no-store' });
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    return { status: response.status, body: body };
  }

  function problem(answer) {
    const b = answer.body || {};
    return 'HTTP ' + answer.status + (b.error ? ': ' + b.error : '') + (b.detail ? ' (' + b.detail + ')' : '');
  }

  function table(headings, rows) {
    const t = node('table');
    const head = t.createTHead().insertRow();
    headings.forEach((h) => head.appendChild(node('th', h)));
    const body = t.createTBody();
    rows.forEach((cells) => {
      const r = body.insertRow();
      cells.forEach((c) => {
        const td = r.insertCell();
        if (c instanceof Node) td.appendChild(c); else td.textContent = c == null ? '' : String(c);
      });
    });
    return t;
  }

  /** The first few of a list, and how many more (a shared address can hold hundreds). */
  function listed(items) {
    const shown = 8;
    return items.length <= shown
      ? items.join(', ')
      : items.slice(0, shown).join(', ') + ' and ' + (items.length - shown) + ' more';
  }

  function revokeButton(scope, target, label) {
    const b = node('button', label, 'danger');
    b.type = 'button';
    b.id = 'revoke';
    b.addEventListener('click', () => revoke(scope, target));
    return b;
  }

  async function lookUpAddress(ip) {
    const answer = await getJson('/v1/logins/' + encodeURIComponent(ip));
    clear();
    if (answer.status !== 200) {
      message(problem(answer), 'error');
      return;
    }
    const body = answer.body;
    const sessions = body.sessions || [];
    const live = sessions.find((s) => s.live);
    const heading = node('p');
    heading.appendChild(node('strong', body.ip));
    if (body.key !== body.ip) heading.appendChild(node('span', ' (grant key ' + body.key + ')'));
    result.appendChild(heading);
    if (live) {
      const p = node('p', null, 'live');
      p.id = 'live-grant';
      p.textContent = 'Live grant until ' + when(live.expiresAt) + ' for ' +
        listed(live.users.map((u) => u.username)) + ' ';
      p.appendChild(revokeButton('KEY', body.key, 'Revoke this address'));
      result.appendChild(p);
    } else {
      const p = node('p', 'No live grant covers this address.');
      p.id = 'no-live-grant';
      result.appendChild(p);
    }
    if (sessions.length === 0) {
      message('The processor holds no grant session for this address (a revoked or long-expired one is in the `audit` history).');
      return;
    }
    result.appendChild(table(
      ['state', 'started', 'last login', 'expires', 'users', 'events'],
      sessions.map((s) => [
        s.live ? node('span', 'live', 'live') : (s.sharedAddress ? 'shared address' : 'ended'),
        when(s.start), when(s.end), when(s.expiresAt),
        listed(s.users.map((u) => u.username + ' (' + u.clientIp + ')')), s.eventCount,
      ])));
  }

  async function lookUpUser(user) {
    const answer = await getJson('/v1/grants?user=' + encodeURIComponent(user));
    clear();
    if (answer.status !== 200 && !(answer.body && answer.body.grants)) {
      message(problem(answer), 'error');
      return;
    }
    const grants = answer.body.grants || [];
    const heading = node('p');
    heading.appendChild(node('strong', user));
    heading.appendChild(node('span', ': ' + grants.length + ' live grant(s) '));
    heading.appendChild(revokeButton('USER', user, 'Revoke this user'));
    result.appendChild(heading);
    if (answer.body.incomplete) {
      message('Partial answer: ' + answer.body.incomplete.join(', ') + ' did not answer.', 'error');
    }
    if (grants.length > 0) {
      result.appendChild(table(
        ['address', 'granted', 'last login', 'expires', 'protocol', 'server', 'events'],
        grants.map((g) => [g.clientIp, when(g.grantedAt), when(g.lastEventAt), when(g.expiresAt),
          g.protocol, g.server, g.eventCount])));
    }
  }

  let current = null; // what the result shows: { query }

  async function lookUp(q) {
    current = q;
    try {
      if (looksLikeAddress(q)) await lookUpAddress(q); else await lookUpUser(q);
    } catch (e) {
      clear();
      message('The processor did not answer: ' + e.message, 'error');
    }
  }

  async function revoke(scope, target) {
    const headers = { 'Content-Type': 'application/json' };
    const token = el('token').value.trim();
    if (token) headers.Authorization = 'Bearer ' + token;
    let response;
    try {
      response = await fetch('/v1/revocations', {
        method: 'POST',
        headers: headers,
        body: JSON.stringify({
          scope: scope, target: target, reason: 'revoked from the dashboard', issuedBy: 'dashboard',
        }),
      });
    } catch (e) {
      message('The processor did not answer: ' + e.message, 'error');
      return;
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (response.status === 202) {
      const q = current;
      await lookUp(q);
      const done = node('p', 'Revoked ' + scope.toLowerCase() + ' ' + target + '.', 'notice');
      done.id = 'revoked';
      result.insertBefore(done, result.firstChild);
      // the processor ends the grants as it reads the revocation: look again until it has
      for (let i = 0; i < 10 && current === q && el('live-grant'); i++) {
        await new Promise((r) => setTimeout(r, 500));
        await lookUp(q);
        result.insertBefore(done, result.firstChild);
      }
    } else if (response.status === 401) {
      message('Not revoked: the admin token is missing or wrong.', 'error');
    } else {
      message('Not revoked: ' + problem({ status: response.status, body: body }), 'error');
    }
  }

  el('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = el('search').value.trim();
    if (q) lookUp(q);
  });

  poll();
})();
