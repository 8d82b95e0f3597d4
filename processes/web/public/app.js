// crawlflow's page: plain JavaScript, no build step. Everything from the server is put into the
// page as text (textContent), never as HTML. Every string the page shows comes from the message
// catalogues through i18n (processes/web/public/i18n.js): t(key, values), rich(key, values, tags).
'use strict';

const { t, rich } = i18n;

const state = { token: localStorage.getItem('crawlflow-token') || '', jobs: [], job: null, status: 'all', next: null, log: 'errors' };
const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : shown(String(child)));
  return node;
}
/**
 * Text as it may be shown: control characters and bidi controls (which would reorder what follows
 * them on screen) become visible code points, ⟦U+202E⟧; everything else stays as it is.
 */
// eslint-disable-next-line no-control-regex -- making control characters visible is the point
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
function shown(text) {
  return text.replace(INVISIBLE, (char) => `⟦U+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟧`);
}
/** A link out of the page; only http(s) addresses become links (a `javascript:` one stays text). */
const link = (href, text) => (href && /^https?:\/\//i.test(href) ? el('a', { href, target: '_blank', rel: 'noopener' }, text) : '');
const when = (iso) => i18n.when(iso);
/** Status names from the API ("in progress", "test failed") in the page's language. */
const statusText = (kind, value) => t(`common.${kind}.status`, { status: String(value).replace(/ /g, '_') });
const outcomeText = (outcome) => t('common.outcome', { outcome });
const priorityText = (priority) => t('common.priority', { priority: String(priority).replace(/ /g, '_') });

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || t('page.error.http', { status }));
    this.status = status;
    this.code = body && body.error;
  }
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}), authorization: `Bearer ${state.token}`, 'accept-language': i18n.locale };
  const response = await fetch(path, { ...options, headers });
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (response.status === 401) askToken(t('page.token.rejected'));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}
const postJson = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const jobPath = (suffix) => `/api/jobs/${encodeURIComponent(state.job.name)}${suffix}`;

// ---- access token -------------------------------------------------------------------------
function askToken(message = '') {
  $('#token-error').textContent = shown(message);
  if (!$('#token-dialog').open) $('#token-dialog').showModal();
}
$('#token-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  state.token = $('#token-input').value.trim();
  try {
    await api('/api/session');
    localStorage.setItem('crawlflow-token', state.token);
    $('#token-dialog').close();
    await start();
  } catch (error) {
    $('#token-error').textContent = shown(error.message);
  }
});
$('#forget-token').addEventListener('click', () => {
  localStorage.removeItem('crawlflow-token');
  state.token = '';
  askToken();
});

// ---- jobs ---------------------------------------------------------------------------------
async function loadJobs(select) {
  const { jobs } = await api('/api/jobs');
  state.jobs = jobs;
  const chosen = select || (state.job && state.job.name) || localStorage.getItem('crawlflow-job') || (jobs[0] && jobs[0].name);
  $('#job-select').replaceChildren(...jobs.map((job) => el('option', { value: job.name, selected: job.name === chosen }, job.name)));
  state.job = jobs.find((job) => job.name === chosen) || jobs[0] || null;
  renderJob();
}
function renderJob() {
  const job = state.job;
  $('#jobs-section').classList.toggle('empty', !job);
  if (!job) {
    $('#job-info').textContent = t('page.job.none');
    $('#new-job').open = true;
    return;
  }
  localStorage.setItem('crawlflow-job', job.name);
  $('#job-status').textContent = statusText('job', job.status);
  $('#job-status').className = `badge ${job.status}`;
  $('#job-runs').href = job.links.runs;
  $('#job-toggle').textContent = t(job.status === 'on' ? 'page.job.disable' : 'page.job.enable');
  $('#job-info').textContent = shown([job.info, job.customer && t('page.job.customer', { customer: job.customer })].filter(Boolean).join(' · '));
  renderStatusFilter();
  void Promise.all([loadTasks(), loadGenerators(), loadLogs()]);
}
$('#job-select').addEventListener('change', (event) => {
  state.job = state.jobs.find((job) => job.name === event.target.value) || null;
  state.status = 'all';
  renderJob();
});
$('#job-toggle').addEventListener('click', async () => {
  const { job, warnings } = await postJson(jobPath('/status'), { status: state.job.status === 'on' ? 'off' : 'on' });
  $('#submit-error').textContent = shown(warnings.join('\n'));
  await loadJobs(job.name);
});
$('#new-job-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const uriRules = Object.fromEntries(['keepFragment', 'sortQuery', 'dropTrackingParams', 'stripSessionIds'].map((name) => [name, form.get(name) === 'on']));
  try {
    const { job } = await postJson('/api/jobs', { name: form.get('name'), info: form.get('info'), customer: form.get('customer'), uriRules });
    event.target.reset();
    $('#new-job').open = false;
    $('#new-job-error').textContent = '';
    await loadJobs(job.name);
  } catch (error) {
    $('#new-job-error').textContent = shown(error.message);
  }
});

// ---- submitting ---------------------------------------------------------------------------
function busy(form, on) {
  for (const button of form.querySelectorAll('button')) button.disabled = on;
}
async function guarded(form, work) {
  $('#submit-error').textContent = '';
  if (!state.job) {
    $('#submit-error').textContent = t('page.submit.no_job');
    return;
  }
  busy(form, true);
  try {
    await work();
  } catch (error) {
    $('#submit-error').textContent = shown(error.message);
  } finally {
    busy(form, false);
  }
}
$('#uris-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void guarded(event.target, async () => {
    showReceipt(await postJson(jobPath('/uris'), { text: $('#uris').value }));
    void refresh();
  });
});
$('#config-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void guarded(event.target, async () => {
    showReceipt(await postJson(jobPath('/config'), { config: $('#config').value }));
    void refresh();
  });
});

/** Multipart upload with XHR: upload progress, then the server's NDJSON ingest progress, then the answer. */
function upload(path, form, fileInput, onProgress) {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    // Settings first: the server streams the upload and reads only fields sent before the file.
    for (const [name, value] of new FormData(form)) if (!(value instanceof File) && value !== '') data.append(name, value);
    data.append('file', fileInput.files[0]);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('authorization', `Bearer ${state.token}`);
    xhr.setRequestHeader('accept', 'application/x-ndjson, application/json');
    xhr.setRequestHeader('accept-language', i18n.locale);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress({ phase: 'upload', fraction: event.loaded / event.total });
    let seen = 0;
    const events = () => {
      const text = xhr.responseText;
      const complete = text.lastIndexOf('\n') + 1;
      const lines = text.slice(seen, complete).split('\n').filter(Boolean);
      seen = complete;
      return lines.map((line) => JSON.parse(line));
    };
    let last = null;
    xhr.onprogress = () => {
      if (!xhr.getResponseHeader('content-type')?.includes('ndjson')) return;
      for (const event of events()) {
        last = event;
        if (event.type === 'progress') onProgress({ phase: 'ingest', fraction: event.totalBytes ? event.bytesRead / event.totalBytes : 0, counts: event.counts });
      }
    };
    xhr.onerror = () => reject(new Error(t('page.upload.connection_lost')));
    xhr.onload = () => {
      if (xhr.getResponseHeader('content-type')?.includes('ndjson')) {
        for (const event of events()) last = event;
        if (last && last.type === 'receipt') resolve(last.receipt);
        else reject(new Error((last && last.message) || t('page.upload.no_receipt')));
        return;
      }
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 401) askToken(t('page.token.rejected'));
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    };
    xhr.send(data);
  });
}
$('#file-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const bar = $('#file-progress');
  void guarded(event.target, async () => {
    bar.hidden = false;
    const receipt = await upload(jobPath('/files'), event.target, $('#file'), ({ phase, fraction, counts }) => {
      bar.value = Math.round(fraction * 100);
      $('#file-progress-text').textContent =
        phase === 'upload' ? t('page.file.uploading', { percent: bar.value }) : t('page.file.storing', { percent: bar.value, lines: counts.lines, accepted: counts.accepted });
    });
    bar.value = 100;
    $('#file-progress-text').textContent = t('page.file.done');
    showReceipt(receipt);
    void refresh();
  });
});
$('#script-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void guarded(event.target, async () => {
    const { generator, warning } = await upload(jobPath('/scripts'), event.target, $('#script'), () => undefined);
    state.shown = { kind: 'generator', generator, warning };
    showStoredGenerator(generator, warning);
    void loadGenerators();
  });
});

function showStoredGenerator(generator, warning) {
  $('#receipt').replaceChildren(
    el(
      'p',
      {},
      ...rich(
        'page.script.stored',
        { name: generator.name, language: generator.language, cron: generator.cron || t('page.script.no_cron'), priority: priorityText(generator.priority), status: statusText('generator', generator.status) },
        { b: (parts) => el('b', {}, ...parts) },
      ),
      ' ',
      link(generator.links.runs, t('page.script.runs_link')),
    ),
    warning ? el('p', { class: 'error' }, i18n.message(warning)) : '',
    generatorsConsole.offerTest(generator),
  );
}

/** A receipt line's reason: the server's Message in the page's language (it follows the switch), else its words. */
const reasonText = (line) => (line.reasonMessage ? i18n.message(line.reasonMessage) : line.reason || '');

function showReceipt(receipt) {
  state.shown = { kind: 'receipt', receipt };
  const { counts } = receipt;
  const summary = el(
    'div',
    { class: 'summary' },
    ['accepted', 'duplicate', 'invalid', 'failed'].map((kind) => el('span', { class: `count ${kind}` }, ...rich('page.receipt.count', { count: counts[kind], kind }, { b: (parts) => el('b', {}, ...parts) }))),
    el('span', { class: 'count' }, t('page.receipt.lines', { lines: counts.lines, skipped: counts.skipped })),
  );
  const rows = receipt.lines.map((line) =>
    el(
      'tr',
      { class: line.outcome },
      el('td', {}, line.line),
      el('td', { class: line.outcome }, outcomeText(line.outcome)),
      el('td', { class: 'uri' }, line.uri || line.input),
      el('td', {}, line.outcome === 'accepted' ? t('page.receipt.task', { id: line.taskId }) : reasonText(line)),
    ),
  );
  const source = receipt.filename || t('page.receipt.source', { source: receipt.source });
  $('#receipt').replaceChildren(
    el('p', { class: 'muted' }, [t('page.receipt.job', { job: receipt.job.name }), source, receipt.encoding, t('page.receipt.submission', { id: receipt.ingestId })].filter(Boolean).join(' · ')),
    summary,
    receipt.error ? el('p', { class: 'error' }, receipt.errorMessage ? i18n.message(receipt.errorMessage) : receipt.error) : '',
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, t('page.receipt.line')), el('th', {}, t('page.receipt.outcome')), el('th', {}, t('page.receipt.uri')), el('th', {}, t('page.receipt.task_or_reason')))), el('tbody', {}, rows)),
    receipt.linesTruncated ? el('p', { class: 'muted' }, t('page.receipt.truncated')) : '',
  );
}

// ---- tasks, generators, logs ----------------------------------------------------------------
function renderStatusFilter() {
  const counts = state.job.tasks || {};
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const chip = (status, label) =>
    el('button', { type: 'button', class: `chip${state.status === status ? ' active' : ''}`, onclick: () => { state.status = status; renderStatusFilter(); void loadTasks(); } }, label);
  $('#status-filter').replaceChildren(
    chip('all', t('page.tasks.chip_all', { count: total })),
    ...Object.entries(counts).map(([status, count]) => chip(status, t('page.tasks.chip', { status: statusText('task', status), count }))),
  );
}
async function loadTasks(more = false) {
  if (!state.job) return;
  const query = new URLSearchParams({ status: state.status, limit: '50', ...(more && state.next ? { before: state.next } : {}) });
  const { tasks, next } = await api(jobPath(`/tasks?${query}`));
  state.next = next;
  const rows = tasks.map((task) => el('tr', {}, el('td', { class: 'uri' }, task.uri), el('td', {}, statusText('task', task.status)), el('td', {}, when(task.addedAt)), el('td', {}, link(task.links.run, t('page.tasks.run_link')), ' ', el('button', { type: 'button', class: 'link story', onclick: () => void showTaskStory(task.id) }, t('failures.task.story')))));
  if (more) $('#tasks tbody').append(...rows);
  else $('#tasks tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 4, class: 'muted' }, t('page.tasks.none')))]));
  $('#tasks-more').hidden = tasks.length < 50;
}
$('#tasks-more').addEventListener('click', () => void loadTasks(true));

/** The generators section is its own module (generators.js). */
async function loadGenerators() {
  await generatorsConsole.load();
}

async function loadLogs() {
  if (!state.job) return;
  const job = encodeURIComponent(state.job.name);
  if (state.log === 'ingests') {
    const { ingests } = await api(`/api/ingests?job=${job}`);
    $('#logs thead').replaceChildren(el('tr', {}, ...['started', 'source', 'status', 'accepted', 'duplicate', 'invalid', 'failed'].map((name) => el('th', {}, t(`page.logs.column.${name}`)))));
    $('#logs tbody').replaceChildren(
      ...(ingests.length
        ? ingests.map((run) =>
            el('tr', {}, el('td', {}, when(run.startedAt)), el('td', {}, run.filename || t('page.receipt.source', { source: run.source })), el('td', {}, t('page.logs.ingest_status', { status: run.status })), ...['accepted', 'duplicate', 'invalid', 'failed'].map((kind) => el('td', { class: kind }, run.counts[kind]))),
          )
        : [el('tr', {}, el('td', { colspan: 7, class: 'muted' }, t('page.logs.empty')))]),
    );
    return;
  }
  const { entries } = await api(`/api/logs/${state.log}?job=${job}`);
  $('#logs thead').replaceChildren(el('tr', {}, ...['when', 'source', 'line', 'input', 'reason', 'run'].map((name) => el('th', {}, t(`page.logs.column.${name}`)))));
  $('#logs tbody').replaceChildren(
    ...(entries.length
      ? entries.map((entry) =>
          el('tr', {}, el('td', {}, when(entry.addedAt)), el('td', {}, t('page.receipt.source', { source: entry.source })), el('td', {}, entry.line ?? ''), el('td', { class: 'uri' }, entry.input), el('td', {}, reasonText(entry)), el('td', {}, link(entry.links.duplicateOf || entry.links.run, t('page.logs.run_link')))),
        )
      : [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, t('page.logs.empty')))]),
  );
}
for (const tab of document.querySelectorAll('[data-log]')) {
  tab.addEventListener('click', () => {
    state.log = tab.dataset.log;
    for (const other of document.querySelectorAll('[data-log]')) other.classList.toggle('active', other === tab);
    void loadLogs();
  });
}

async function refresh() {
  await loadJobs(state.job && state.job.name);
}

async function start() {
  const session = await api('/api/session');
  $('#temporal-ui').href = session.temporalUiUrl;
  await loadJobs();
  // Sections in their own files (failures.js, …) load their data now.
  document.dispatchEvent(new Event('crawlflow:started'));
}

// ---- language ----------------------------------------------------------------------------------
/** The strings the page builds itself (not data-i18n): the token help, the script form's choices. */
function renderStaticParts() {
  $('#token-help').replaceChildren(...rich('page.token.help', {}, { code: (parts) => el('code', {}, ...parts) }));
  const options = (select, values, label) => {
    const chosen = select.value || select.dataset.default;
    select.replaceChildren(...values.map((value) => el('option', { value, selected: value === chosen }, label(value))));
  };
  $('#script-priority').dataset.default = 'medium';
  options($('#script-priority'), ['very high', 'high', 'medium', 'low'], priorityText);
  options($('#script-status'), ['alpha', 'beta', 'production', 'on', 'off'], (status) => statusText('generator', status));
  $('#locale-select').value = i18n.locale;
}
$('#locale-select').addEventListener('change', (event) => void i18n.setLocale(event.target.value));
i18n.onChange(async () => {
  renderStaticParts();
  if (state.shown && state.shown.kind === 'receipt') showReceipt(state.shown.receipt);
  if (state.shown && state.shown.kind === 'generator') showStoredGenerator(state.shown.generator, state.shown.warning);
  if (state.token && state.job) await refresh();
});

// A token in the address (#token=…, as `crawlflow web` prints it) is kept, then removed from view.
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) {
  state.token = fromHash;
  localStorage.setItem('crawlflow-token', fromHash);
  history.replaceState(null, '', location.pathname);
}
void i18n.ready.then(() => {
  renderStaticParts();
  if (state.token) start().catch((error) => (error.status === 401 ? undefined : ($('#submit-error').textContent = shown(error.message))));
  else askToken();
});
