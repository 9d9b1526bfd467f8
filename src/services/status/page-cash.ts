/**
 * The status page's cash section (docs/appliance.md, "Cash: collection and refill"): the inventory per
 * denomination (cassette with its capacity, coin box, hoppers), the newest collections and refills, and,
 * when the page has its login, the collection and refill forms. Served as /cash.js beside /app.js
 * (which calls PayPointCash.render on every snapshot); the forms are built once per set of
 * denominations, so the live redraws never wipe what the operator is typing. The forms POST JSON with
 * fetch (the Content-Security-Policy allows 'self'); the login is the browser's HTTP Basic.
 */
import { DOM_JS } from './page-dom.js';

// A plain template (backslashes doubled), not String.raw: see PAGE_JS in page-assets.ts.
export const CASH_JS = `
'use strict';
(function () {
  var T = {
    ru: {
      inventory: 'Наличные внутри (учёт)', cassette: 'Кассета купюр', box: 'Ящик для монет', hoppers: 'Хопперы',
      bills_n: 'шт.', capacity: 'вместимость', lv_ok: 'в норме', 'lv_nearly-full': 'почти полна', lv_full: 'ПОЛНА — нужна инкассация',
      lv_unknown: 'вместимость неизвестна', low: 'мало монет: сдачу с купюры {b} не выдать (не хватает {s})', total: 'Итого',
      records: 'Последние инкассации и пополнения', op_collection: 'инкассация', op_refill: 'пополнение', op_opening: 'начальный остаток',
      counted: 'посчитано', declared: 'изъято', difference: 'расхождение', added: 'добавлено',
      collect_h: 'Инкассация', collect_hint: 'Сколько изъято каждого номинала (по умолчанию — как посчитал терминал):',
      collect_btn: 'Записать инкассацию', refill_h: 'Пополнение хопперов', refill_hint: 'Сколько монет добавлено в каждый хоппер:',
      refill_btn: 'Записать пополнение', note: 'Примечание', done_collect: 'Инкассация записана: расхождение {d}',
      done_refill: 'Пополнение записано: {a}', failed: 'Не записано', no_actions: 'Инкассация и пополнение — после входа (status.require_auth)'
    },
    en: {
      inventory: 'Cash inside (accounted)', cassette: 'Bill cassette', box: 'Coin box', hoppers: 'Hoppers',
      bills_n: 'bills', capacity: 'capacity', lv_ok: 'ok', 'lv_nearly-full': 'nearly full', lv_full: 'FULL: collect',
      lv_unknown: 'capacity unknown', low: 'hoppers low: no change for a {b} bill ({s} short)', total: 'Total',
      records: 'Last collections and refills', op_collection: 'collection', op_refill: 'refill', op_opening: 'opening count',
      counted: 'counted', declared: 'taken', difference: 'difference', added: 'added',
      collect_h: 'Collection', collect_hint: 'How many of each denomination you took (by default what the unit counted):',
      collect_btn: 'Record the collection', refill_h: 'Hopper refill', refill_hint: 'How many coins you added to each hopper:',
      refill_btn: 'Record the refill', note: 'Note', done_collect: 'Collection recorded: difference {d}',
      done_refill: 'Refill recorded: {a}', failed: 'Not recorded', no_actions: 'Collection and refill after login (status.require_auth)'
    }
  };
  var lang = 'ru';
  var formKey = null;
  function t(k, p) { var s = T[lang][k] !== undefined ? T[lang][k] : k; for (var x in (p || {})) s = s.replace('{' + x + '}', p[x]); return s; }
${DOM_JS}  function sum(c) { return Object.keys(c).reduce(function (s, v) { return s + Number(v) * c[v]; }, 0); }
  function values(c) { return Object.keys(c).map(Number).sort(function (a, b) { return b - a; }); }
  function countRows(c, cls) {
    return values(c).map(function (v) { return el('tr', { 'class': cls }, [el('td', { text: money(v) + ' × ' + c[v] }), el('td', { text: money(v * c[v]) })]); });
  }
  function place(title, c, extra, cls) {
    var head = el('tr', { 'class': 'place ' + cls }, [el('th', { text: title + (extra ? ' — ' + extra : '') }), el('th', { text: money(sum(c)) })]);
    return [head].concat(countRows(c, cls));
  }
  function diffText(d) {
    var ks = values(d);
    return ks.length ? money(sum(d)) + ' (' + ks.map(function (v) { return money(v) + ' ' + (d[v] > 0 ? '+' : '') + d[v]; }).join(', ') + ')' : money(0);
  }

  function renderInventory(s) {
    var c = s.cash, inv = c.inventory, cas = c.cassette;
    var tb = document.getElementById('inventory');
    var capText = cas.bills + '\\u00a0' + t('bills_n') + (cas.capacity ? ' / ' + cas.capacity + ', ' : ', ') + t('lv_' + cas.level);
    var rows = place(t('cassette'), inv.cassette, capText, 'cassette ' + (cas.level === 'full' ? 'bad' : cas.level === 'nearly-full' ? 'warn' : ''))
      .concat(place(t('box'), inv.box, '', 'box'))
      .concat(place(t('hoppers'), inv.hoppers, c.hoppersLow.low ? t('low', { b: money(c.hoppersLow.usualBill), s: money(c.hoppersLow.shortBy) }) : '', 'hoppers ' + (c.hoppersLow.low ? 'warn' : '')));
    rows.push(el('tr', { 'class': 'place total' }, [el('th', { text: t('total') }), el('th', { text: money(c.totals.cassette + c.totals.box + c.totals.hoppers) })]));
    tb.replaceChildren.apply(tb, rows);
    var rec = document.getElementById('cash-records');
    rec.replaceChildren.apply(rec, c.records.map(function (r) {
      var what = r.op === 'collection' && r.collection
        ? t('counted') + ' ' + money(sum(r.collection.counted.cassette) + sum(r.collection.counted.box)) + ', ' + t('declared') + ' ' + money(sum(r.collection.declared)) + ', ' + t('difference') + ' ' + diffText(r.collection.difference)
        : t('added') + ' ' + money(sum(r.added || {}));
      return el('li', { 'class': 'rec ' + r.op }, [new Date(r.at).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB') + ' · ' + t('op_' + r.op) + ' · ' + r.by + ' · ' + what + (r.note ? ' · ' + r.note : '')]);
    }));
  }

  function numberInputs(name, vals, preset) {
    return vals.map(function (v) {
      return el('label', { 'class': 'cnt' }, [money(v) + ' ', el('input', { type: 'number', min: '0', step: '1', name: name + '-' + v, 'data-value': String(v), value: String(preset[v] || 0) })]);
    });
  }
  function collectCounts(form) {
    var out = {};
    form.querySelectorAll('input[type=number]').forEach(function (i) { var n = Number(i.value); if (n > 0) out[i.getAttribute('data-value')] = n; });
    return out;
  }
  function send(action, body, result) {
    result.textContent = '…';
    return fetch('/api/cash/' + action, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (a) {
        if (!a.ok) { result.className = 'result bad'; result.textContent = t('failed') + ': ' + (a.j.error ? 'error ' + a.j.error.code + ': ' + a.j.error.message : ''); return; }
        result.className = 'result ok';
        result.textContent = action === 'collect' ? t('done_collect', { d: diffText(a.j.record.collection.difference) }) : t('done_refill', { a: money(sum(a.j.record.added)) });
        formKey = null;
      })
      .catch(function (e) { result.className = 'result bad'; result.textContent = t('failed') + ': ' + e.message; });
  }

  function renderForms(s) {
    var box = document.getElementById('cash-actions');
    if (!s.cash.actions) { box.replaceChildren(el('p', { text: t('no_actions'), 'class': 'none' })); formKey = 'none'; return; }
    var counted = {}, inv = s.cash.inventory;
    [inv.cassette, inv.box].forEach(function (c) { for (var v in c) counted[v] = (counted[v] || 0) + c[v]; });
    var hopperValues = s.cash.hoppers.map(function (h) { return h.value; });
    var key = lang + '|' + JSON.stringify(counted) + '|' + hopperValues.join(',');
    if (key === formKey) return;
    formKey = key;
    var cres = el('p', { id: 'collect-result', 'class': 'result' });
    var cform = el('form', { id: 'collect-form' }, [el('h3', { text: t('collect_h') }), el('p', { text: t('collect_hint') })]
      .concat(numberInputs('collect', values(counted), counted))
      .concat([el('label', null, [t('note') + ' ', el('input', { type: 'text', name: 'note', maxlength: '200' })]), el('button', { type: 'submit', id: 'collect-btn', text: t('collect_btn') }), cres]));
    cform.addEventListener('submit', function (ev) {
      ev.preventDefault();
      send('collect', { declared: collectCounts(cform), note: cform.querySelector('input[name=note]').value }, cres);
    });
    var rres = el('p', { id: 'refill-result', 'class': 'result' });
    var rform = el('form', { id: 'refill-form' }, [el('h3', { text: t('refill_h') }), el('p', { text: t('refill_hint') })]
      .concat(numberInputs('refill', hopperValues, {}))
      .concat([el('label', null, [t('note') + ' ', el('input', { type: 'text', name: 'note', maxlength: '200' })]), el('button', { type: 'submit', id: 'refill-btn', text: t('refill_btn') }), rres]));
    rform.addEventListener('submit', function (ev) {
      ev.preventDefault();
      send('refill', { added: collectCounts(rform), note: rform.querySelector('input[name=note]').value }, rres);
    });
    // Keep the last result line across the rebuild that the recorded action itself causes.
    var old = { c: document.getElementById('collect-result'), r: document.getElementById('refill-result') };
    if (old.c) { cres.textContent = old.c.textContent; cres.className = old.c.className; }
    if (old.r) { rres.textContent = old.r.textContent; rres.className = old.r.className; }
    box.replaceChildren(cform, rform);
  }

  window.PayPointCash = {
    render: function (s, l) {
      lang = T[l] ? l : 'ru';
      document.getElementById('inventory-h').textContent = t('inventory');
      document.getElementById('records-h').textContent = t('records');
      renderInventory(s);
      renderForms(s);
    }
  };
})();
`;
