/**
 * The status page's "Owed to customers and unknown card outcomes" section (payment/open-cases.ts):
 * open cases (each is money a person must see to, settled with `paypoint settle`), the last settled
 * ones with how and by whom, and late card approvals reversed with FIN 0 (VTK 1.12 section 3.4: the
 * bank returns the money; nothing to settle). A script of its own, loaded with the page's script
 * (page-assets.ts); it draws into #cases from every snapshot. Also the totals (payment/daily-totals.ts)
 * of today and since the last collection into #totals: whether the cash inside adds up per denomination.
 */
// A plain template (backslashes doubled), not String.raw: see PAGE_JS in page-assets.ts.
export const CASES_JS = `
'use strict';
(function () {
  var T = {
    ru: {
      head: 'Долги покупателям и неизвестные исходы по картам', open: 'Открытые', settled: 'Урегулированные', late: 'Поздние одобрения по карте, отменённые (FIN 0)',
      none: 'нет', id: 'Случай', at: 'Когда', uid: 'UID', amount: 'Сумма', what: 'Что', how: 'Как урегулирован', by: 'Кто', op: 'Операция', ref: 'Ссылка',
      k_rest: 'не выдана сдача или возврат', k_credit: 'деньги вне сессии к возврату', k_card: 'исход оплаты картой неизвестен',
      h_paid: 'выдано покупателю', h_refunded: 'возвращено банком', h_charged: 'списано (оплата состоялась)',
      hint: 'Урегулировать: paypoint settle СЛУЧАЙ paid|refunded|charged --by ИМЯ',
      late_note: 'банк вернёт деньги покупателю; урегулировать не нужно',
      totals: 'Итоги', today: 'Сегодня', since: 'С последней инкассации', paid_cash: 'Оплачено наличными', paid_card: 'Оплачено картой',
      change: 'Выдано сдачи', rest_owed: 'Не выдано покупателям', cancelled: 'Отменено / возвращено', stray: 'Деньги вне сессии',
      collections: 'Инкассации', refills: 'Пополнения хопперов', value: 'Номинал', opening: 'Начало', taken: 'Принято', refilled: 'Пополнено',
      refunds: 'Возвраты', collected: 'Инкассировано', expected: 'Должно быть', inside: 'Внутри', diff: 'Разница',
      adds_up: 'наличность сходится', no_add_up: 'наличность НЕ сходится'
    },
    en: {
      head: 'Owed to customers and unknown card outcomes', open: 'Open', settled: 'Settled', late: 'Late card approvals reversed (FIN 0)',
      none: 'none', id: 'Case', at: 'When', uid: 'UID', amount: 'Amount', what: 'What', how: 'Settled as', by: 'By', op: 'Operation', ref: 'Reference',
      k_rest: 'change or refund owed', k_credit: 'money outside a session owed', k_card: 'card outcome unknown',
      h_paid: 'paid to the customer', h_refunded: 'refunded by the bank', h_charged: 'charged (the payment stands)',
      hint: 'Settle: paypoint settle CASE paid|refunded|charged --by NAME',
      late_note: 'the bank returns the money to the customer; nothing to settle',
      totals: 'Totals', today: 'Today', since: 'Since the last collection', paid_cash: 'Paid in cash', paid_card: 'Paid by card',
      change: 'Change given', rest_owed: 'Rest owed', cancelled: 'Cancelled / refunded', stray: 'Money outside a session',
      collections: 'Collections', refills: 'Hopper refills', value: 'Value', opening: 'Opening', taken: 'Taken', refilled: 'Refilled',
      refunds: 'Refunds', collected: 'Collected', expected: 'Must be inside', inside: 'Inside', diff: 'Difference',
      adds_up: 'the cash adds up', no_add_up: 'the cash does NOT add up'
    }
  };
  function money(k) { return Math.floor(k / 100) + ',' + String(k % 100).padStart(2, '0') + '\\u00a0\\u20bd'; }
  function el(tag, attrs, text) { var e = document.createElement(tag); for (var k in (attrs || {})) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
  function table(id, head, list) {
    var tb = el('table', { id: id });
    var tr = el('tr'); head.forEach(function (h) { tr.appendChild(el('th', null, h)); }); tb.appendChild(tr);
    list.forEach(function (r) { var row = el('tr'); r.forEach(function (c) { row.appendChild(el('td', c.cls ? { 'class': c.cls } : null, c.text !== undefined ? c.text : String(c))); }); tb.appendChild(row); });
    return tb;
  }
  window.PP_RENDERERS = window.PP_RENDERERS || [];
  window.PP_RENDERERS.push(function (s, lang) {
    var box = document.getElementById('cases');
    if (!box || !s.cases) return;
    var L = T[lang] || T.ru;
    var t = function (k) { return L[k] !== undefined ? L[k] : k; };
    var when = function (ms) { return new Date(ms).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB'); };
    var c = s.cases;
    var kids = [el('h2', null, t('head')), el('h3', null, t('open') + ': ' + c.open.length)];
    if (c.open.length) {
      kids.push(table('cases-open', [t('id'), t('at'), t('uid'), t('amount'), t('what')], c.open.map(function (x) {
        return [x.id, when(x.at), x.uid || '—', { text: money(x.amount), cls: 'bad' }, t('k_' + x.kind)];
      })));
      kids.push(el('p', { 'class': 'hint' }, t('hint')));
    }
    kids.push(el('h3', null, t('settled') + ': ' + c.settled.length));
    if (c.settled.length) {
      kids.push(table('cases-settled', [t('id'), t('at'), t('uid'), t('amount'), t('how'), t('by')], c.settled.map(function (x) {
        return [x.id, when(x.settlement.at), x.uid || '—', money(x.amount), t('h_' + x.settlement.how), x.settlement.by];
      })));
    }
    kids.push(el('h3', null, t('late') + ': ' + c.lateReversed.length));
    if (c.lateReversed.length) {
      kids.push(table('cases-late', [t('op'), t('at'), t('amount'), t('ref')], c.lateReversed.map(function (x) {
        return [x.opNumber + ' (' + x.opId + ')', when(x.at), money(x.amount), x.ref || '—'];
      })));
      kids.push(el('p', { 'class': 'hint' }, t('late_note')));
    }
    box.replaceChildren.apply(box, kids);
  });
  window.PP_RENDERERS.push(function (s, lang) {
    var box = document.getElementById('totals');
    if (!box) return;
    var L = T[lang] || T.ru;
    var t = function (k) { return L[k] !== undefined ? L[k] : k; };
    var kids = [el('h2', null, t('totals'))];
    if (s.totals) [['today', s.totals.today], ['since', s.totals.sinceCollection]].forEach(function (p) {
      var x = p[1];
      kids.push(el('h3', null, t(p[0]) + ': ' + (x.addsUp ? t('adds_up') : t('no_add_up'))));
      kids.push(table('totals-' + p[0], ['', ''], [
        [t('paid_cash'), x.paid.cash.count + ' / ' + money(x.paid.cash.sum)], [t('paid_card'), x.paid.card.count + ' / ' + money(x.paid.card.sum)],
        [t('change'), money(x.change.given)], [t('rest_owed'), x.rest.sessions + ' / ' + money(x.rest.owed)],
        [t('cancelled'), x.cancelled.count + ' / ' + money(x.cancelled.refunded)], [t('stray'), x.unattributed.count + ' / ' + money(x.unattributed.sum)],
        [t('collections'), x.collections.count + ' / ' + money(x.collections.counted)], [t('refills'), x.refills.count + ' / ' + money(x.refills.sum)]
      ]));
      kids.push(table('totals-' + p[0] + '-denominations', [t('value'), t('opening'), t('taken'), t('refilled'), t('change'), t('refunds'), t('collected'), t('expected'), t('inside'), t('diff')],
        x.denominations.map(function (d) {
          return [money(d.value), d.opening, d.taken, d.refilled, d.change, d.refunds, d.collected, d.expected, d.inside, { text: String(d.difference), cls: d.difference ? 'bad' : 'ok' }];
        })));
    });
    box.replaceChildren.apply(box, kids);
  });
})();
`;
