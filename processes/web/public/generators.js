// The generators console of the page: list, settings and code, test runs, pause/resume, run now,
// delete, and runs paged on the server. Uses app.js's helpers (api, el, link, t, state…); every
// value from the server goes in as text.
'use strict';

const generatorsConsole = (() => {
  const view = { selected: null, generators: [], report: null, notice: null, runs: [], runsNext: null, failedOnly: false };
  const section = () => $('#generators-console');
  const genPath = (id, suffix = '') => `/api/generators/${encodeURIComponent(id)}${suffix}`;
  const sendJson = (method, path, body) => api(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** Text from scripts and people, control and bidi-override characters made visible (app.js's `shown`). */
  const visible = (text) => shown(String(text ?? ''));
  const scheduleText = (schedule) =>
    t('generators.schedule', { state: schedule.state, next: schedule.nextRunAt ? when(schedule.nextRunAt) : '—', by: schedule.pausedBy || 'other', note: visible(schedule.note || '') });

  async function load() {
    if (!state.job) return;
    const { generators } = await api(`/api/generators?job=${encodeURIComponent(state.job.name)}`);
    view.generators = generators;
    if (view.selected && !generators.some((generator) => generator.id === view.selected)) view.selected = null;
    render();
    if (view.selected) await loadRuns();
  }

  function render() {
    const rows = view.generators.map((generator) =>
      el(
        'tr',
        { class: generator.id === view.selected ? 'selected' : '', 'data-generator': generator.id },
        el('td', {}, visible(generator.name)),
        el('td', {}, generator.language),
        el('td', {}, generator.cron || t('generators.no_cron')),
        el('td', {}, priorityText(generator.priority)),
        el('td', {}, el('span', { class: `badge gen-${generator.status.replace(/ /g, '-')}` }, statusText('generator', generator.status))),
        el('td', {}, generator.revision),
        el('td', { class: `schedule ${generator.schedule.state}` }, scheduleText(generator.schedule)),
        el('td', { class: generator.lastTest && !generator.lastTest.passed ? 'failed' : '' }, generator.lastTest ? t('generators.test_summary', { passed: String(generator.lastTest.passed), revision: generator.lastTest.revision, when: when(generator.lastTest.testedAt) }) : t('generators.never_tested')),
        el('td', { class: generator.lastRun && generator.lastRun.status === 'failed' ? 'failed' : '' }, generator.lastRun ? link(generator.lastRun.links.run, t('generators.last_run', { when: when(generator.lastRun.addedAt), status: statusText('run', generator.lastRun.status), new: generator.lastRun.urisNew })) : t('generators.never_ran')),
        el('td', {}, el('button', { type: 'button', class: 'secondary manage', onclick: () => select(generator.id) }, t('generators.manage'))),
      ),
    );
    const head = ['name', 'language', 'cron', 'priority', 'status', 'revision', 'schedule', 'last_test', 'last_run'].map((name) => el('th', {}, t(`generators.column.${name}`)));
    section().replaceChildren(
      el('table', { id: 'generators' }, el('thead', {}, el('tr', {}, ...head, el('th', {}))), el('tbody', {}, rows.length ? rows : [el('tr', {}, el('td', { colspan: 10, class: 'muted' }, t('generators.none')))])),
      view.notice ? el('p', { id: 'generator-notice', class: view.notice.error ? 'error' : 'notice', role: 'status' }, ...view.notice.parts) : '',
      panel(),
    );
  }

  function select(id) {
    view.selected = view.selected === id ? null : id;
    view.report = null;
    view.notice = null;
    view.runs = [];
    view.runsNext = null;
    render();
    if (view.selected) void loadRuns();
  }

  /** Runs an action; its answer or its error (the server's words, naming the field) becomes the notice. */
  async function act(work) {
    const buttons = section().querySelectorAll('button');
    for (const other of buttons) other.disabled = true;
    try {
      const parts = await work();
      view.notice = parts ? { parts } : null;
    } catch (error) {
      view.notice = { error: true, parts: [error.message] };
    }
    await load().catch((error) => (view.notice = { error: true, parts: [error.message] }));
    render();
  }

  function panel() {
    const generator = view.generators.find((candidate) => candidate.id === view.selected);
    if (!generator) return '';
    const statuses = ['alpha', 'beta', 'production', 'on', 'off', 'test failed'];
    const options = (values, chosen, label) => values.map((value) => el('option', { value, selected: value === chosen }, label(value)));
    const settings = el(
      'form',
      { id: 'generator-edit', class: 'grid small' },
      el('label', {}, t('generators.edit.name'), el('input', { name: 'name', value: generator.name, maxlength: 128 })),
      el('label', {}, t('generators.edit.cron'), el('input', { name: 'cron', value: generator.cron || '' })),
      el('label', {}, t('generators.edit.priority'), el('select', { name: 'priority' }, ...options(['very high', 'high', 'medium', 'low'], generator.priority, priorityText))),
      el('label', {}, t('generators.edit.status'), el('select', { name: 'status' }, ...options(statuses, generator.status, (status) => statusText('generator', status)))),
      el('label', {}, t('generators.edit.timeout'), el('input', { name: 'timeoutSeconds', type: 'number', min: 1, value: generator.timeoutSeconds })),
      el('label', { class: 'check' }, el('input', { name: 'networkAllowed', type: 'checkbox', checked: generator.networkAllowed }), t('generators.edit.network')),
      el('button', { type: 'submit' }, t('generators.edit.save')),
    );
    settings.addEventListener('submit', (event) => {
      event.preventDefault();
      const form = new FormData(settings);
      const changes = {};
      if (form.get('name') !== generator.name) changes.name = form.get('name');
      if (form.get('cron') !== (generator.cron || '')) changes.cron = form.get('cron');
      if (form.get('priority') !== generator.priority) changes.priority = form.get('priority');
      if (form.get('status') !== generator.status) changes.status = form.get('status');
      if (Number(form.get('timeoutSeconds')) !== generator.timeoutSeconds) changes.timeoutSeconds = Number(form.get('timeoutSeconds'));
      if ((form.get('networkAllowed') === 'on') !== generator.networkAllowed) changes.networkAllowed = form.get('networkAllowed') === 'on';
      void act(async () => {
        const { warning } = await sendJson('PATCH', genPath(generator.id), changes);
        return [t('generators.edit.saved'), warning ? ` ${i18n.message(warning)}` : ''];
      });
    });

    const codeForm = el(
      'form',
      { id: 'generator-code', class: 'row' },
      el('input', { type: 'file', name: 'code', accept: '.py,.sh,.bash', required: true, 'aria-label': t('generators.code.file') }),
      el('button', { type: 'submit', class: 'secondary' }, t('generators.code.button')),
    );
    codeForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const file = codeForm.querySelector('input[type=file]').files[0];
      if (!file) return;
      void act(async () => {
        const { revision } = await sendJson('PUT', genPath(generator.id, '/code'), { code: await file.text(), filename: file.name });
        return [t('generators.code.replaced', { revision })];
      });
    });

    const reason = el('input', { id: 'pause-reason', maxlength: 500, placeholder: t('generators.actions.pause_reason'), 'aria-label': t('generators.actions.pause_reason') });
    const paused = generator.schedule.state === 'paused' && generator.schedule.pausedBy === 'operator';
    const actions = el(
      'div',
      { class: 'row actions' },
      el('button', { type: 'button', id: 'generator-test', onclick: () => void test(generator) }, t('generators.actions.test')),
      el('button', {
        type: 'button',
        id: 'generator-run',
        class: 'secondary',
        onclick: () =>
          void act(async () => {
            const started = await postJson(genPath(generator.id, '/run'), {});
            return [t('generators.actions.started'), ' ', link(started.links.run, started.workflowId)];
          }),
      }, t('generators.actions.run')),
      generator.schedule.state === 'scheduled' || (generator.schedule.state === 'paused' && generator.schedule.pausedBy === 'crawlflow') ? reason : '',
      generator.schedule.state === 'scheduled' || (generator.schedule.state === 'paused' && generator.schedule.pausedBy === 'crawlflow')
        ? el('button', { type: 'button', id: 'generator-pause', class: 'secondary', onclick: () => void act(async () => (await postJson(genPath(generator.id, '/pause'), reason.value ? { reason: reason.value } : {}), [t('generators.actions.paused')])) }, t('generators.actions.pause'))
        : '',
      paused ? el('button', { type: 'button', id: 'generator-resume', class: 'secondary', onclick: () => void act(async () => (await postJson(genPath(generator.id, '/resume'), {}), [t('generators.actions.resumed')])) }, t('generators.actions.resume')) : '',
      el('button', {
        type: 'button',
        id: 'generator-delete',
        class: 'danger',
        onclick: () => {
          if (!confirm(t('generators.actions.delete_confirm', { name: visible(generator.name) }))) return;
          void act(async () => {
            await api(genPath(generator.id), { method: 'DELETE' });
            view.selected = null;
            return [t('generators.actions.deleted', { name: visible(generator.name) })];
          });
        },
      }, t('generators.actions.delete')),
    );

    const promotable = generator.promotableTo.map((status) => statusText('generator', status)).join(', ');
    const failedOnly = el('input', { type: 'checkbox', id: 'runs-failed-only', checked: view.failedOnly, onchange: (event) => { view.failedOnly = event.target.checked; void loadRuns(); } });
    return el(
      'div',
      { id: 'generator-panel', class: 'panel' },
      el('h3', {}, t('generators.panel_title', { name: visible(generator.name) })),
      el('p', { class: 'muted' }, scheduleText(generator.schedule), ' · ', t('generators.edit.promotable', { count: generator.promotableTo.length, statuses: promotable })),
      el('h4', {}, t('generators.actions.title')),
      actions,
      view.report ? reportView(view.report) : '',
      el('h4', {}, t('generators.edit.title')),
      settings,
      el('h4', {}, t('generators.code.title')),
      codeForm,
      el('h4', {}, t('generators.runs.title')),
      el('label', { class: 'check' }, failedOnly, t('generators.runs.failed_only')),
      el('table', { id: 'generator-runs' }, el('thead', {}, el('tr', {}, ...['when', 'trigger', 'revision', 'status', 'duration', 'uris', 'reason', 'stderr', 'run'].map((name) => el('th', {}, t(`generators.runs.${name}`))))), el('tbody', {}, runRows())),
      el('button', { type: 'button', id: 'runs-more', class: 'secondary', hidden: !view.runsNext, onclick: () => void loadRuns(true) }, t('generators.runs.more')),
    );
  }

  async function test(generator) {
    view.report = null;
    view.notice = { parts: [t('generators.actions.testing')] };
    render();
    await act(async () => {
      const result = await postJson(genPath(generator.id, '/test'), {});
      view.report = { ...result.report, link: result.links.run, status: result.generator.status };
      return null;
    });
  }

  function reportView(report) {
    const { counts } = report;
    const rows = report.lines.map((line) =>
      el(
        'tr',
        { class: line.outcome },
        el('td', {}, line.line),
        el('td', { class: line.outcome }, t('generators.test.line_outcome', { outcome: line.outcome })),
        el('td', { class: 'uri' }, visible(line.text)),
        el('td', { class: 'uri' }, visible(line.outcome === 'invalid' ? line.reason || '' : [line.uri || '', line.reason ? ` (${line.reason})` : ''].join(''))),
      ),
    );
    return el(
      'div',
      { id: 'test-report', class: report.passed ? 'passed' : 'failed' },
      el('p', { class: `verdict ${report.passed ? 'accepted' : 'failed'}` }, t('generators.test.verdict', { passed: String(report.passed), printed: counts.printed, new: counts.new, duplicate: counts.duplicate, invalid: counts.invalid, revision: report.revision, ms: report.durationMs })),
      report.reason ? el('p', { class: 'error test-reason' }, visible(report.reason)) : '',
      el('p', { class: 'muted' }, t('generators.test.stored_nothing', { status: statusText('generator', report.status) }), ' ', link(report.link, t('generators.test.run_link'))),
      el('table', { id: 'test-lines' }, el('thead', {}, el('tr', {}, ...['line', 'outcome', 'text', 'detail'].map((name) => el('th', {}, t(`generators.test.${name}`))))), el('tbody', {}, rows)),
      report.linesNotShown > 0 ? el('p', { class: 'muted' }, t('generators.test.more', { count: report.linesNotShown })) : '',
      report.stderr ? el('details', { open: true }, el('summary', {}, t('generators.test.stderr')), el('pre', { class: 'stderr' }, visible(report.stderr))) : '',
    );
  }

  function runRows() {
    return view.runs.length
      ? view.runs.map((run) =>
          el(
            'tr',
            { class: run.status },
            el('td', {}, when(run.addedAt)),
            el('td', {}, t('generators.runs.trigger_name', { trigger: run.trigger || 'other' })),
            el('td', {}, run.revision),
            el('td', { class: run.status }, statusText('run', run.status)),
            el('td', {}, t('generators.runs.duration_ms', { ms: run.spendMsecs })),
            el('td', {}, t('generators.runs.uri_counts', { printed: run.printed, new: run.urisNew, duplicate: run.urisDuplicate, invalid: run.urisInvalid })),
            el('td', { class: 'reason' }, run.failedReason ? visible(run.failedReason.split('\n')[0]) : ''),
            el('td', {}, run.stderrTail ? el('details', {}, el('summary', {}, t('generators.runs.show_stderr')), el('pre', { class: 'stderr' }, visible(run.stderrTail))) : ''),
            el('td', {}, link(run.links.run, t('generators.runs.run_link'))),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 9, class: 'muted' }, t('generators.runs.none')))];
  }

  async function loadRuns(more = false) {
    if (!view.selected) return;
    const query = new URLSearchParams({ limit: '20', ...(view.failedOnly ? { failed: 'true' } : {}), ...(more && view.runsNext ? { before: view.runsNext } : {}) });
    const { runs, next } = await api(genPath(view.selected, `/runs?${query}`));
    view.runs = more ? [...view.runs, ...runs] : runs;
    view.runsNext = next;
    $('#generator-runs tbody')?.replaceChildren(...runRows());
    const more_ = $('#runs-more');
    if (more_) more_.hidden = !next;
  }

  /** After an upload: offer a test before the generator's first scheduled run. */
  function offerTest(generator) {
    const question = el('span', {}, t('generators.test.offer_no_schedule'));
    void api(genPath(generator.id, '/schedule')).then(
      ({ generator: current }) => {
        if (current.schedule.nextRunAt) question.textContent = t('generators.test.offer', { next: when(current.schedule.nextRunAt) });
      },
      () => undefined,
    );
    const offer = el(
      'p',
      { id: 'test-offer' },
      question,
      ' ',
      el('button', {
        type: 'button',
        id: 'test-offer-button',
        onclick: async () => {
          view.selected = generator.id;
          await load();
          await test({ id: generator.id });
          $('#generator-panel')?.scrollIntoView();
        },
      }, t('generators.test.offer_button')),
    );
    return offer;
  }

  return { load, offerTest, render };
})();
