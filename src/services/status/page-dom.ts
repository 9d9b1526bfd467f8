/**
 * The DOM and money helpers that /app.js and /cash.js both need, written once and placed inside each
 * script's own function scope (the two are separate files served to the same page).
 */
// A plain template (backslashes doubled), not String.raw: see PAGE_JS in page-assets.ts.
export const DOM_JS = `
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (kids || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function money(k) {
    var neg = k < 0; k = Math.abs(k);
    return (neg ? '-' : '') + Math.floor(k / 100).toString().replace(/\\B(?=(\\d{3})+(?!\\d))/g, '\\u00a0') + ',' + String(k % 100).padStart(2, '0') + '\\u00a0\\u20bd';
  }
`;
