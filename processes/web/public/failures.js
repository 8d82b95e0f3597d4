// The operator's console, part 2 and 3 (issue #13): the overview panel (refreshed live, with a
// uPlot chart), failed messages with replay, dead letters, a crawler task's story with retry.
// Uses app.js's helpers (el, link, when, api, postJson, state, t). Everything from the server —
// reasons, errors, dead-letter bytes — goes into the page as text (el()/textContent), never HTML.
'use strict';

const consoleState = { failuresNext: null, deadNext: null, selected: new Set(), watching: new Map(), story: null, overview: null, chart: null, timer: null };
const OVERVIEW_REFRESH_MS = 5000;
const STEPS = ['fetch', 'tag', 'publish', 'task_progress'];
const STATES = ['failed', 'replaying', 'replayed'];

// ---- overview ------------------------------------------------------------------------------
function tile(label, value, extra, bad) {
  return el('div', { class: `tile${bad ? ' bad' : ''}` }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value), extra ? el('div', { class: 'label' }, extra) : null);
}
function part(section, show) {
  return section.ok ? show(section.value) : { value: t('failures.overview.unavailable', { error: section.error }), bad: true };
}
function renderOverview(overview) {
  consoleState.overview = overview;
  $('#overview-updated').textContent = t('failures.overview.updated', { when: when(overview.at) });
  const last = overview.throughput.ok ? overview.throughput.value.series.at(-1) : undefined;
  const tiles = [
    [t('failures.overview.messages'), part(overview.throughput, () => ({ value: last ? t('failures.overview.messages_value', { in: last.inPerMinute, out: last.outPerMinute }) : t('failures.overview.messages_waiting') }))],
    [
      overview.failures.ok ? t('failures.overview.failures', { minutes: overview.failures.value.windowMinutes }) : t('failures.overview.failures', { minutes: 60 }),
      part(overview.failures, (failures) => ({
        value: t('failures.overview.failures_value', { count: failures.total, more: failures.atLeast ? 'yes' : 'no' }),
        extra: Object.entries(failures.byStep).map(([step, count]) => `${t('failures.step', { step })} ${count}`).join(' · '),
        bad: failures.total > 0,
      })),
    ],
    [t('failures.overview.lag'), part(overview.bridgeLag, (lag) => ({ value: t('failures.overview.lag_value', { count: lag.total }) }))],
    [
      t('failures.overview.feeder'),
      part(overview.feederBacklog, (feeder) => ({
        value: t('failures.overview.feeder_value', { count: feeder.waiting, more: feeder.atLeast ? 'yes' : 'no' }),
        extra: feeder.oldestAt ? t('failures.overview.feeder_oldest', { when: when(feeder.oldestAt) }) : '',
      })),
    ],
    [
      overview.generators.ok ? t('failures.overview.generators', { hours: overview.generators.value.windowHours }) : t('failures.overview.generators', { hours: 24 }),
      part(overview.generators, (runs) => ({ value: t('failures.overview.generators_value', { runs: runs.runs, failed: runs.failed }), bad: runs.failed > 0 })),
    ],
    [
      t('failures.overview.alerts'),
      part(overview.alerts, (alerts) => ({
        value: t('failures.overview.alerts_value', { count: alerts.waiting }),
        extra: alerts.lastDigestAt ? t('failures.overview.last_digest', { when: when(alerts.lastDigestAt) }) : t('failures.overview.no_digest'),
      })),
    ],
  ];
  $('#overview-tiles').replaceChildren(...tiles.map(([label, shown]) => tile(label, shown.value, shown.extra, shown.bad)));
  const queues = overview.taskQueues.ok ? overview.taskQueues.value : [];
  $('#overview-queues tbody').replaceChildren(
    ...(overview.taskQueues.ok
      ? queues.map((queue) =>
          el(
            'tr',
            { 'data-queue': queue.kind },
            el('td', {}, `${queue.kind} (${queue.name})`),
            el('td', { class: queue.workers === 0 ? 'failed' : 'accepted', title: queue.identities.join(', ') }, queue.workers === 0 ? t('failures.overview.no_worker') : String(queue.workers)),
            el('td', {}, String(queue.backlog)),
            el('td', {}, queue.backlog > 0 ? t('failures.overview.seconds', { seconds: queue.oldestSeconds }) : '—'),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 4, class: 'failed' }, t('failures.overview.unavailable', { error: overview.taskQueues.error })))]),
  );
  drawChart(overview.throughput.ok ? overview.throughput.value.series : []);
}
function drawChart(series) {
  const data = [series.map((point) => Date.parse(point.at) / 1000), series.map((point) => point.inPerMinute), series.map((point) => point.outPerMinute), series.map((point) => point.failuresPerMinute)];
  const holder = $('#overview-chart');
  if (consoleState.chart && consoleState.chart.locale === i18n.locale) {
    consoleState.chart.plot.setData(data);
    return;
  }
  if (consoleState.chart) consoleState.chart.plot.destroy();
  const width = Math.max(320, holder.clientWidth || 900);
  const plot = new uPlot(
    {
      width,
      height: 200,
      series: [
        {},
        { label: t('failures.chart.in'), stroke: '#2f5bea', width: 2 },
        { label: t('failures.chart.out'), stroke: '#1f8a4c', width: 2 },
        { label: t('failures.chart.failures'), stroke: '#c0392b', width: 2 },
      ],
      axes: [{}, { size: 50 }],
      scales: { y: { range: (_plot, min, max) => [0, Math.max(1, max)] } },
    },
    data,
    holder,
  );
  consoleState.chart = { plot, locale: i18n.locale };
}
async function loadOverview() {
  try {
    renderOverview(await api('/api/overview'));
  } catch (error) {
    $('#overview-updated').textContent = error.message;
  }
}

// ---- failed messages -----------------------------------------------------------------------
function failureFilter() {
  const form = new FormData($('#failures-filter'));
  const filter = {};
  for (const name of ['step', 'errorType', 'status']) if (form.get(name)) filter[name] = String(form.get(name)).trim();
  for (const name of ['since', 'until']) if (form.get(name)) filter[name] = new Date(String(form.get(name))).toISOString();
  if (form.get('thisJob') === 'on' && state.job) filter.job = state.job.name;
  return filter;
}
function replaysCell(failure) {
  return failure.replays.map((replay) =>
    el('div', { class: replay.outcome === 'published' ? 'accepted' : replay.outcome ? 'failed' : 'muted' }, `${when(replay.at)} `, link(replay.links.run, t('failures.replay_outcome', { outcome: replay.outcome || 'running' }))),
  );
}
function failureRow(failure) {
  const summary = failure.summary || {};
  const box = el('input', {
    type: 'checkbox',
    'aria-label': t('failures.col.select'),
    checked: consoleState.selected.has(failure.id),
    disabled: !failure.replayable,
    onchange: (event) => {
      if (event.target.checked) consoleState.selected.add(failure.id);
      else consoleState.selected.delete(failure.id);
      renderSelection();
    },
  });
  return el(
    'tr',
    { 'data-failure': failure.id },
    el('td', {}, box),
    el('td', {}, when(failure.failedAt)),
    el('td', {}, t('failures.step', { step: failure.step })),
    el('td', { class: 'uri' }, el('b', {}, failure.errorType), ': ', failure.error),
    el(
      'td',
      { class: 'uri' },
      [summary.messageId, summary.url].filter((part) => part !== null && part !== undefined).join(' · '),
      failure.jobName ? el('div', { class: 'muted' }, failure.jobName) : null,
      summary.taskId ? el('div', {}, el('button', { type: 'button', class: 'link', onclick: () => void showTaskStory(summary.taskId) }, t('failures.task_link'))) : null,
    ),
    el('td', { class: 'state' }, t('failures.state', { status: failure.status })),
    el('td', { class: 'replays' }, replaysCell(failure)),
    el('td', {}, link(failure.links.run, t('failures.run_link'))),
  );
}
function renderSelection() {
  const button = $('#failures-replay-selected');
  button.textContent = t('failures.replay_selected', { count: consoleState.selected.size });
  button.disabled = consoleState.selected.size === 0;
}
async function loadFailures(more = false) {
  $('#failures-error').textContent = '';
  try {
    const query = new URLSearchParams({ ...failureFilter(), limit: '50', ...(more && consoleState.failuresNext ? { before: consoleState.failuresNext } : {}) });
    const { failures, next } = await api(`/api/failures?${query}`);
    consoleState.failuresNext = next;
    if (!more) consoleState.selected.clear();
    const rows = failures.map(failureRow);
    if (more) $('#failures tbody').append(...rows);
    else $('#failures tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 8, class: 'muted' }, t('failures.none')))]));
    $('#failures-more').hidden = next === null;
    renderSelection();
  } catch (error) {
    $('#failures-error').textContent = error.message;
  }
}
/** A replay's outcome is written when its run ends: poll each replayed failure until it has one. */
function watchReplays(items) {
  for (const item of items) if (item.result === 'started') consoleState.watching.set(item.failedMessageId, Date.now());
  const tick = async () => {
    for (const [id, since] of consoleState.watching) {
      if (Date.now() - since > 10 * 60_000) {
        consoleState.watching.delete(id);
        continue;
      }
      try {
        const { failure } = await api(`/api/failures/${id}`);
        const row = document.querySelector(`#failures tr[data-failure="${id}"]`);
        if (row) row.replaceWith(failureRow(failure));
        if (failure.replays.at(-1)?.outcome) consoleState.watching.delete(id);
      } catch {
        consoleState.watching.delete(id);
      }
    }
    if (consoleState.watching.size > 0) setTimeout(() => void tick(), 2000);
  };
  if (consoleState.watching.size > 0) setTimeout(() => void tick(), 1000);
}
function showReplayResult(result) {
  $('#failures-result').textContent = t('failures.replayed', { started: result.started, matched: result.matched, more: result.atLeast ? 'yes' : 'no' });
  watchReplays(result.items);
}
/** The page's own confirmation (a <dialog>): resolves true on "Replay". */
function confirmReplay(text) {
  const dialog = $('#confirm-dialog');
  $('#confirm-text').textContent = text;
  $('#confirm-ok').hidden = false;
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}
$('#failures-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadFailures();
});
$('#failures-more').addEventListener('click', () => void loadFailures(true));
$('#failures-replay-selected').addEventListener('click', async () => {
  try {
    const result = await postJson('/api/failures/replay', { ids: [...consoleState.selected] });
    await loadFailures();
    showReplayResult(result);
  } catch (error) {
    $('#failures-error').textContent = error.message;
  }
});
$('#failures-replay-all').addEventListener('click', async () => {
  $('#failures-error').textContent = '';
  try {
    const filter = failureFilter();
    delete filter.status;
    const { count, atLeast } = await api(`/api/failures/count?${new URLSearchParams({ ...filter, status: 'failed' })}`);
    if (count === 0) {
      $('#failures-result').textContent = t('failures.confirm.none');
      return;
    }
    if (!(await confirmReplay(atLeast ? t('failures.confirm.all_capped', { count }) : t('failures.confirm.all', { count })))) return;
    const result = await postJson('/api/failures/replay', { filter });
    await loadFailures();
    showReplayResult(result);
  } catch (error) {
    $('#failures-error').textContent = error.message;
  }
});
function renderFailureFilter() {
  const options = (select, values, label, empty) => {
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '' }, empty), ...values.map((value) => el('option', { value, selected: value === chosen }, label(value))));
  };
  options($('#failures-step'), STEPS, (step) => t('failures.step', { step }), t('failures.filter.all_steps'));
  options($('#failures-status'), STATES, (status) => t('failures.state', { status }), t('failures.filter.any_status'));
  renderSelection();
}

// ---- dead letters --------------------------------------------------------------------------
function deadLetterRow(letter) {
  const { preview } = letter;
  return el(
    'tr',
    { 'data-dead-letter': letter.id },
    el('td', {}, when(letter.failedAt)),
    el('td', {}, letter.reason),
    el('td', { class: 'uri' }, letter.detail),
    el('td', {}, letter.source ? `${letter.source.topic}/${letter.source.partition}@${letter.source.offset}` : '—'),
    el('td', {}, t('failures.dead.bytes_value', { bytes: letter.bytes, kept: letter.kept, truncated: letter.truncated ? 'yes' : 'no', notUtf8: preview.notUtf8 ? 'yes' : 'no' })),
    el(
      'td',
      {},
      el('pre', { class: 'bytes' }, preview.text),
      preview.escaped > 0 ? el('div', { class: 'muted' }, t('failures.dead.escaped', { count: preview.escaped })) : null,
      el('details', {}, el('summary', {}, t('failures.dead.hex')), el('pre', { class: 'bytes hex' }, preview.hex)),
    ),
  );
}
async function loadDeadLetters(more = false) {
  try {
    const query = new URLSearchParams({ limit: '20', ...(more && consoleState.deadNext ? { before: consoleState.deadNext } : {}) });
    const { deadLetters, next } = await api(`/api/dead-letters?${query}`);
    consoleState.deadNext = next;
    const rows = deadLetters.map(deadLetterRow);
    if (more) $('#dead-letters tbody').append(...rows);
    else $('#dead-letters tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, t('failures.dead.none')))]));
    $('#dead-letters-more').hidden = next === null;
  } catch (error) {
    $('#failures-error').textContent = error.message;
  }
}
$('#dead-letters-more').addEventListener('click', () => void loadDeadLetters(true));

// ---- a crawler task's story ----------------------------------------------------------------
function renderStory(story, note) {
  const { task } = story;
  const retry = story.retryable
    ? el('button', {
        type: 'button',
        id: 'task-retry',
        onclick: async () => {
          try {
            const result = await postJson(`/api/tasks/${task.id}/retry`, {});
            renderStory(result.story, t('failures.task.retried', { result: t('failures.item', { result: result.item.result }) }));
            watchTask(task.id);
          } catch (error) {
            renderStory(story, error.message);
          }
        },
      }, t('failures.task.retry'))
    : null;
  $('#task-story').replaceChildren(
    el('p', {}, el('b', {}, statusText('task', task.status)), ' · ', el('span', { class: 'uri' }, task.uri), task.jobName ? ` · ${task.jobName}` : '', ' ', link(task.links.run, t('failures.run_link'))),
    story.source ? el('p', { class: 'muted' }, t('failures.task.from', { source: story.source.source })) : null,
    retry,
    note ? el('p', { class: 'muted', id: 'task-note' }, note) : null,
    el(
      'table',
      { id: 'task-events' },
      el('tbody', {}, ...story.events.map((event) =>
        el('tr', { 'data-event': event.event }, el('td', {}, when(event.at)), el('td', {}, t('failures.task.event', { event: event.event })), el('td', {}, event.status ? statusText('task', event.status) : ''), el('td', { class: 'uri' }, event.detail || ''), el('td', {}, link(event.links.run, t('failures.run_link')))),
      )),
    ),
  );
  consoleState.story = { id: task.id, note };
}
async function showTaskStory(id) {
  try {
    renderStory(await api(`/api/tasks/${encodeURIComponent(id)}`));
    $('#task-lookup-id').value = id;
    $('#task-story-section').scrollIntoView({ block: 'nearest' });
  } catch (error) {
    $('#task-story').replaceChildren(el('p', { class: 'error' }, error.message));
  }
}
/** After a retry: redraw the story until the task leaves "in progress"/"download failed" or a minute passes. */
function watchTask(id) {
  const started = Date.now();
  const tick = async () => {
    if (!consoleState.story || consoleState.story.id !== id) return;
    const story = await api(`/api/tasks/${id}`);
    renderStory(story, consoleState.story.note);
    const ended = story.events.some((event) => event.event === 'replayed' && event.detail !== 'running');
    if (!ended && Date.now() - started < 60_000) setTimeout(() => void tick(), 1500);
  };
  setTimeout(() => void tick(), 1000);
}
$('#task-lookup').addEventListener('submit', (event) => {
  event.preventDefault();
  void showTaskStory($('#task-lookup-id').value.trim());
});

// ---- start and language --------------------------------------------------------------------
document.addEventListener('crawlflow:started', () => {
  renderFailureFilter();
  void Promise.all([loadOverview(), loadFailures(), loadDeadLetters()]);
  if (!consoleState.timer) consoleState.timer = setInterval(() => void loadOverview(), OVERVIEW_REFRESH_MS);
});
i18n.onChange(async () => {
  renderFailureFilter();
  if (!state.token) return;
  if (consoleState.overview) renderOverview(consoleState.overview);
  await Promise.all([loadFailures(), loadDeadLetters(), consoleState.story ? showTaskStory(consoleState.story.id) : undefined]);
});
