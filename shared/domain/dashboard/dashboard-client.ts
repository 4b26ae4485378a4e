/**
 * The dashboard page's own script (plain ES2019, run by the browser, never by Node). It reads the
 * embedded JSON, builds a section per page and a card per table, and on every filter change
 * redraws each card's table and chart from the rows that pass the trust and period filters. It
 * writes values with `textContent` and `new Option` only, never as HTML, and never adds cells up
 * (published cells are rounded or suppressed: their sum is not a published figure).
 *
 * Each chart container gets `data-state` (`rendered` or `empty`) and `data-points` (values drawn)
 * once drawn, which the browser tests wait for.
 */
export const DASHBOARD_CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dashboard-data').textContent);
  var trustSelect = document.getElementById('filter-trust');
  var fromSelect = document.getElementById('filter-from');
  var toSelect = document.getElementById('filter-to');
  var main = document.getElementById('pages');
  var cards = [];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function words(name) {
    var text = String(name).split('_').join(' ');
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  function uniqueSorted(values) {
    var seen = {};
    var out = [];
    values.forEach(function (v) {
      if (v === null || v === undefined || v === '') return;
      var s = String(v);
      if (!Object.prototype.hasOwnProperty.call(seen, s)) { seen[s] = true; out.push(s); }
    });
    return out.sort();
  }

  var trusts = [];
  var periods = [];
  data.pages.forEach(function (page) {
    page.tables.forEach(function (table) {
      table.rows.forEach(function (row) {
        if (table.trust) trusts.push(row[table.trust]);
        if (table.period) periods.push(row[table.period]);
      });
    });
  });
  trusts = uniqueSorted(trusts);
  periods = uniqueSorted(periods);
  trusts.forEach(function (t) { trustSelect.appendChild(new Option(t, t)); });
  periods.forEach(function (p) {
    fromSelect.appendChild(new Option(p, p));
    toSelect.appendChild(new Option(p, p));
  });
  if (periods.length > 0) {
    // Records dated after the page was built (a validity problem) are selectable, not shown at first.
    var built = String(data.generatedAt).slice(0, 7);
    var current = periods.filter(function (p) { return p <= built; });
    fromSelect.value = periods[0];
    toSelect.value = current.length > 0 ? current[current.length - 1] : periods[periods.length - 1];
  }

  function filtered(table) {
    var trust = trustSelect.value;
    var from = fromSelect.value;
    var to = toSelect.value;
    return table.rows.filter(function (row) {
      if (table.trust && trust !== '' && String(row[table.trust]) !== trust) return false;
      if (table.period) {
        var p = String(row[table.period]);
        if (from !== '' && p < from) return false;
        if (to !== '' && p > to) return false;
      }
      return true;
    });
  }
  function seriesOf(table, row) {
    if (table.series.length === 0) return table.title;
    return table.series.map(function (d) { return String(row[d]); }).join(' · ');
  }

  function drawTable(card, rows) {
    var table = card.table;
    var tbody = card.tbody;
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      table.columns.forEach(function (column) {
        var value = row[column.name];
        var td = el('td', column.role === 'dimension' ? 'dim' : '', value === null ? '' : value);
        td.setAttribute('data-column', column.name);
        td.setAttribute('data-role', column.role);
        if (value === '*') td.className = 'suppressed';
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    card.count.textContent = rows.length + ' of ' + table.rows.length + ' rows';
  }

  function chartSpec(card, rows) {
    var table = card.table;
    var points = [];
    var width = 640;
    if (table.kind === 'funnel') {
      rows.forEach(function (row) {
        table.measures.forEach(function (step, i) {
          var v = row[step];
          if (typeof v === 'number') points.push({ period: String(row[table.period]), series: seriesOf(table, row), step: words(step), order: i, value: v });
        });
      });
      var steps = table.measures.map(words);
      var multi = uniqueSorted(points.map(function (p) { return p.series; })).length > 1;
      var spec = {
        data: { values: points },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'period', type: 'ordinal', title: 'Month' },
          xOffset: { field: 'step', type: 'nominal', sort: steps },
          y: { field: 'value', type: 'quantitative', title: table.unit || 'count', axis: { format: '~g' } },
          color: { field: 'step', type: 'nominal', sort: steps, title: 'Step (in time order)' },
          tooltip: [{ field: 'series', title: 'Series' }, { field: 'period', title: 'Month' }, { field: 'step', title: 'Step' }, { field: 'value', title: 'Value' }]
        },
        width: width,
        height: 160
      };
      if (multi) spec.encoding.row = { field: 'series', type: 'nominal', title: null };
      return { spec: spec, points: points.length };
    }
    var measure = card.measureSelect ? card.measureSelect.value : table.measures[0];
    rows.forEach(function (row) {
      var v = row[measure];
      if (typeof v === 'number') points.push({ period: String(row[table.period]), series: seriesOf(table, row), value: v });
    });
    return {
      points: points.length,
      spec: {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'period', type: 'ordinal', title: 'Month' },
          y: { field: 'value', type: 'quantitative', title: words(measure) + (table.unit ? ' (' + table.unit + ')' : ''), axis: { format: '~g' } },
          color: { field: 'series', type: 'nominal', title: table.series.map(words).join(' · ') || 'Series' },
          tooltip: [{ field: 'series', title: 'Series' }, { field: 'period', title: 'Month' }, { field: 'value', title: words(measure) }]
        },
        width: width,
        height: 220
      }
    };
  }

  function drawChart(card, rows) {
    var target = card.chart;
    if (card.view) { card.view.finalize(); card.view = null; }
    while (target.firstChild) target.removeChild(target.firstChild);
    target.setAttribute('data-state', 'drawing');
    var built = chartSpec(card, rows);
    target.setAttribute('data-points', String(built.points));
    if (built.points === 0) {
      target.appendChild(el('p', 'empty', 'No published figures to draw for this filter (suppressed cells are not drawn).'));
      target.setAttribute('data-state', 'empty');
      return;
    }
    var token = (card.token = (card.token || 0) + 1);
    vegaEmbed(target, built.spec, { actions: false, renderer: 'svg' }).then(function (result) {
      if (token !== card.token) { result.finalize(); return; }
      card.view = result;
      target.setAttribute('data-state', 'rendered');
    }).catch(function (error) {
      target.setAttribute('data-state', 'error');
      console.error('dashboard: chart ' + card.table.name + ' failed: ' + (error && error.message ? error.message : String(error)));
    });
  }

  function drawCard(card) {
    var rows = filtered(card.table);
    drawTable(card, rows);
    if (card.chart) drawChart(card, rows);
  }
  function drawAll() { cards.forEach(drawCard); }

  data.pages.forEach(function (page, index) {
    var section = el('section', 'page' + (index === 0 ? ' active' : ''));
    section.id = 'page-' + page.id;
    section.setAttribute('data-page', page.id);
    section.appendChild(el('h2', '', page.title));
    if (page.tables.length === 0) section.appendChild(el('p', 'empty', 'No published marts for this project yet.'));
    page.tables.forEach(function (table) {
      var card = { table: table };
      var box = el('div', 'card');
      box.setAttribute('data-mart', table.name);
      box.appendChild(el('h3', '', table.title));
      box.appendChild(el('p', 'question', table.question));
      if (table.kind === 'trend' && table.measures.length > 1) {
        var label = el('label', 'card-controls', 'Measure ');
        var select = document.createElement('select');
        select.className = 'measure';
        table.measures.forEach(function (m) { select.appendChild(new Option(words(m), m)); });
        // Open on the first measure with a figure to draw (small tables can be suppressed whole).
        var drawable = table.measures.filter(function (m) {
          return table.rows.some(function (row) { return typeof row[m] === 'number'; });
        });
        if (drawable.length > 0) select.value = drawable[0];
        select.addEventListener('change', function () { drawCard(card); });
        label.appendChild(select);
        box.appendChild(label);
        card.measureSelect = select;
      }
      if (table.kind !== 'table' && table.period) {
        card.chart = el('div', 'chart');
        card.chart.setAttribute('data-chart', table.name);
        box.appendChild(card.chart);
      }
      var wrap = el('div', 'table-wrap');
      var t = el('table', 'figures');
      t.setAttribute('data-table', table.name);
      var head = document.createElement('thead');
      var tr = document.createElement('tr');
      table.columns.forEach(function (c) { tr.appendChild(el('th', c.role === 'dimension' ? 'dim' : '', words(c.name))); });
      head.appendChild(tr);
      t.appendChild(head);
      card.tbody = document.createElement('tbody');
      t.appendChild(card.tbody);
      wrap.appendChild(t);
      card.count = el('p', 'meta', '');
      box.appendChild(wrap);
      box.appendChild(card.count);
      section.appendChild(box);
      cards.push(card);
    });
    main.appendChild(section);
  });

  Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (tab) {
    tab.addEventListener('click', function () {
      Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (t) { t.setAttribute('aria-selected', t === tab ? 'true' : 'false'); });
      Array.prototype.forEach.call(document.querySelectorAll('section.page'), function (s) {
        s.className = 'page' + (s.getAttribute('data-page') === tab.getAttribute('data-page') ? ' active' : '');
      });
    });
  });
  [trustSelect, fromSelect, toSelect].forEach(function (s) { s.addEventListener('change', drawAll); });
  drawAll();
})();
`;
