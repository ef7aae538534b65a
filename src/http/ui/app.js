// Sparrow playground: plain browser JavaScript, no build step, no network but this server's API.
const $ = (id) => document.getElementById(id);
const KEY = 'sparrow.apiKey';
const state = { collections: [], config: null, page: 0, seq: 0, timer: 0, maxK: 1000 };

/** A call to this server's API, with the tab's API key when one was entered. */
async function api(path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const key = sessionStorage.getItem(KEY);
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.detail || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.code = data.code;
    throw err;
  }
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(Math.abs(x) >= 1 ? 2 : 3));

function showError(err) {
  const status = $('status');
  status.className = 'status error';
  if (err.status === 401) {
    status.textContent = 'This server needs an API key: enter it under "API key" (kept for this tab only).';
    document.querySelector('details.key').open = true;
  } else status.textContent = `${err.code ? `${err.code}: ` : ''}${err.message}`;
}

async function loadCollections() {
  try {
    const { collections } = await api('/v1/collections');
    state.collections = collections;
    const select = $('collection');
    select.replaceChildren(...collections.map((c) => el('option', { value: c.name, text: c.name })));
    const preferred = new URLSearchParams(location.search).get('collection');
    const pick = collections.find((c) => c.name === preferred) ?? collections.find((c) => c.name === 'scifact') ?? collections[0];
    if (pick) select.value = pick.name;
    chooseCollection();
    if (collections.length === 0) $('status').textContent = 'No collections yet: create one (see API docs).';
  } catch (err) {
    showError(err);
  }
}

function chooseCollection() {
  const c = state.collections.find((x) => x.name === $('collection').value);
  state.config = c?.config ?? null;
  if (!c) return;
  const sealed = c.segments.filter((s) => s.sealed).length;
  $('stats').textContent = `${c.documents.toLocaleString()} documents, ${c.deleted} deleted, ${c.segments.length} segments (${sealed} sealed), ${(c.bytes / 1048576).toFixed(1)} MiB, encoder ${c.config.encoder.kind}${c.config.dense ? `, dense ${c.config.dense.dims}d` : ''}`;
  for (const option of $('mode').options) option.disabled = option.value !== 'sparse' && !c.config.dense;
  if (!c.config.dense) $('mode').value = 'sparse';
  buildFilters(c.config.filterable ?? {});
  state.page = 0;
  schedule(0);
}

function buildFilters(fields) {
  const box = $('filter-fields');
  box.replaceChildren();
  const names = Object.keys(fields);
  $('filters').hidden = names.length === 0;
  for (const name of names) {
    const id = `f-${name}`;
    const type = fields[name];
    if (type === 'number') {
      box.append(el('div', {}, el('label', { for: `${id}-min`, text: `${name} from` }), el('input', { id: `${id}-min`, type: 'number', 'data-field': name, 'data-op': 'gte' })));
      box.append(el('div', {}, el('label', { for: `${id}-max`, text: `${name} to` }), el('input', { id: `${id}-max`, type: 'number', 'data-field': name, 'data-op': 'lte' })));
    } else if (type === 'boolean') {
      const select = el('select', { id, 'data-field': name, 'data-op': 'eq-bool' }, el('option', { value: '', text: 'any' }), el('option', { value: 'true', text: 'true' }), el('option', { value: 'false', text: 'false' }));
      box.append(el('div', {}, el('label', { for: id, text: name }), select));
    } else {
      box.append(el('div', {}, el('label', { for: id, text: `${name} is` }), el('input', { id, type: 'text', 'data-field': name, 'data-op': 'eq' })));
    }
  }
  for (const input of box.querySelectorAll('input, select')) input.addEventListener('input', () => ((state.page = 0), schedule()));
}

function currentFilter() {
  const clauses = [];
  const ranges = new Map();
  for (const input of $('filter-fields').querySelectorAll('[data-field]')) {
    const { field, op } = input.dataset;
    const value = input.value.trim();
    if (value === '') continue;
    if (op === 'eq') clauses.push({ field, eq: value });
    else if (op === 'eq-bool') clauses.push({ field, eq: value === 'true' });
    else {
      const range = ranges.get(field) ?? {};
      range[op] = Number(value);
      ranges.set(field, range);
    }
  }
  for (const [field, range] of ranges) clauses.push({ field, range });
  return clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { and: clauses };
}

function schedule(delay = 250) {
  clearTimeout(state.timer);
  state.timer = setTimeout(search, delay);
}

function requestBody(k) {
  const mode = $('mode').value;
  const body = { query: $('query').value.trim(), k, offset: state.page * k, mode, include: ['text', 'explain', 'highlight'] };
  if (mode === 'hybrid') body.hybrid = { method: $('fusion').value, alpha: Number($('alpha').value) };
  const filter = currentFilter();
  if (filter) body.filter = filter;
  if ($('attribute').checked) body.highlight = { attribute: true };
  return body;
}

async function search() {
  const collection = $('collection').value;
  const query = $('query').value.trim();
  const seq = ++state.seq;
  if (!collection || query === '') {
    $('hits').replaceChildren();
    $('query-terms').replaceChildren();
    $('overlap').textContent = '';
    $('status').textContent = query === '' ? 'Type a query.' : '';
    updatePager(0, 10);
    return;
  }
  const k = Math.max(1, Math.min(100, Number($('k').value) || 10));
  const body = requestBody(k);
  const url = `/v1/collections/${encodeURIComponent(collection)}/search`;
  const compare = $('compare').checked && body.mode !== 'dense';
  $('status').className = 'status';
  $('status').textContent = 'Searching…';
  try {
    const [result, exact, encoded] = await Promise.all([
      api(url, body),
      compare ? api(url, { ...body, include: [], highlight: undefined, exact: true }) : Promise.resolve(null),
      body.mode === 'dense' ? Promise.resolve({ terms: [] }) : api('/v1/encode', { text: query, side: 'query', collection }),
    ]);
    if (seq !== state.seq) return; // a newer search is under way
    renderTerms(encoded.terms);
    renderHits(result.hits, exact?.hits, collection);
    const from = body.offset + 1;
    $('status').textContent = result.hits.length === 0 ? 'No hits.' : `Hits ${from}–${body.offset + result.hits.length} in ${result.took_ms.toFixed(1)} ms`;
    updatePager(result.hits.length, k);
  } catch (err) {
    if (seq === state.seq) showError(err);
  }
}

function renderTerms(terms) {
  $('query-terms').replaceChildren(...terms.slice(0, 30).map((t) => el('li', {}, t.token, el('b', { text: fmt(t.weight) }))));
}

/** The field's text with literal spans marked, and the words expansions come from (attribution). */
function marked(text, spans, sources) {
  const marks = [
    ...spans.map((s) => ({ start: s.start, end: s.end, cls: 'lit', title: s.terms.map((t) => `${t.token}: +${fmt(t.contribution)}`).join(', ') })),
    ...sources.map((s) => ({ start: s.start, end: s.end, cls: 'from', title: `expansion ${s.token} comes from here` })),
  ].sort((a, b) => a.start - b.start);
  const out = [];
  let at = 0;
  for (const m of marks) {
    if (m.start < at) continue;
    out.push(text.slice(at, m.start), el('mark', { class: m.cls, title: m.title, text: text.slice(m.start, m.end) }));
    at = m.end;
  }
  out.push(text.slice(at));
  return out;
}

function renderHits(hits, exactHits, collection) {
  const exactIds = exactHits ? new Set(exactHits.map((h) => h.id)) : undefined;
  if (exactIds) {
    const shared = hits.filter((h) => exactIds.has(h.id)).length;
    $('overlap').textContent = `Exact comparison: ${shared} of ${hits.length} hits on this page are in the exact top ${exactHits.length} (same page).`;
  } else $('overlap').textContent = '';
  const maxContribution = Math.max(1e-9, ...hits.flatMap((h) => (h.explain?.terms ?? []).map((t) => t.contribution)));
  $('hits').replaceChildren(
    ...hits.map((hit) => {
      const h = hit.highlight ?? { expansions: [] };
      const sources = (field) => h.expansions.filter((e) => e.attribution?.status === 'attributed' && e.attribution.field === field).map((e) => ({ ...e.attribution, token: e.token }));
      const li = el('li', { class: 'hit' });
      li.append(el('h3', {}, ...marked(hit.title ?? hit.id, h.title?.spans ?? [], sources('title'))));
      const meta = el('p', { class: 'meta' }, `id ${hit.id} · score ${fmt(hit.score)}`);
      if (exactIds && !exactIds.has(hit.id)) meta.append(' · ', el('span', { class: 'only-approx', text: 'not in the exact top-k' }));
      li.append(meta);
      if (hit.text) li.append(el('p', { class: 'text' }, ...marked(hit.text, h.text?.spans ?? [], sources('text'))));
      if (h.expansions.length > 0) {
        const chips = h.expansions.map((e) => {
          const a = e.attribution;
          const from = a?.status === 'attributed' ? (a.field === null ? ` from ${a.source}` : ` from “${a.source.replace(/^##/, '')}”`) : '';
          return el('span', { class: `chip exp${from ? ' attributed' : ''}`, title: a?.status === 'unattributed' ? a.reason : `document weight ${fmt(e.documentWeight)}` }, `${e.token} ${fmt(e.documentWeight)}${from}`);
        });
        li.append(el('p', { class: 'expansions' }, el('span', { class: 'meta', text: 'Expansions: ' }), ...chips));
      }
      const expansionIds = new Set(h.expansions.map((e) => e.id));
      const terms = (hit.explain?.terms ?? []).slice(0, 8);
      if (terms.length > 0) {
        li.append(
          el(
            'ul',
            { class: 'bars', 'aria-label': `Score contributions of ${hit.id}` },
            ...terms.map((t) => {
              const width = `${Math.max(1, (100 * t.contribution) / maxContribution).toFixed(1)}%`;
              const fill = el('div', { class: `fill${expansionIds.has(t.id) ? ' exp' : ''}` });
              fill.style.width = width;
              return el('li', {}, el('span', { text: t.token }), el('div', { class: 'track', role: 'img', 'aria-label': `${t.token} contributes ${fmt(t.contribution)}` }, fill), el('span', { class: 'num', text: fmt(t.contribution) }));
            }),
          ),
        );
      }
      const top = el('ul', { class: 'terms doc-terms', 'aria-label': `Top terms of ${hit.id}` });
      const button = el('button', { type: 'button', class: 'link', 'aria-expanded': 'false', text: "Show the document's top terms" });
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          const text = [hit.title, hit.text].filter(Boolean).join('\n');
          const { terms: docTerms } = await api('/v1/encode', { text, side: 'document', collection });
          top.replaceChildren(...docTerms.slice(0, 15).map((t) => el('li', {}, t.token, el('b', { text: fmt(t.weight) }))));
          button.setAttribute('aria-expanded', 'true');
        } catch (err) {
          showError(err);
        } finally {
          button.disabled = false;
        }
      });
      li.append(button, top);
      return li;
    }),
  );
}

function updatePager(count, k) {
  $('page').textContent = `Page ${state.page + 1}`;
  $('prev').disabled = state.page === 0;
  $('next').disabled = count < k || (state.page + 2) * k > state.maxK;
}

function init() {
  const key = sessionStorage.getItem(KEY);
  if (key) $('api-key').value = key;
  $('api-key').addEventListener('change', () => {
    const value = $('api-key').value.trim();
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
    loadCollections();
  });
  $('collection').addEventListener('change', chooseCollection);
  $('query').addEventListener('input', () => ((state.page = 0), schedule()));
  for (const id of ['mode', 'k', 'fusion', 'compare', 'attribute']) $(id).addEventListener('change', () => ((state.page = 0), schedule(0)));
  $('alpha').addEventListener('input', () => {
    $('alpha-value').textContent = $('alpha').value;
    schedule();
  });
  $('prev').addEventListener('click', () => ((state.page = Math.max(0, state.page - 1)), search()));
  $('next').addEventListener('click', () => ((state.page += 1), search()));
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && !['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement?.tagName ?? '')) {
      e.preventDefault();
      $('query').focus();
    }
  });
  const q = new URLSearchParams(location.search).get('q');
  if (q) $('query').value = q;
  loadCollections();
}

init();
