import { InvariantError } from '../errors.js';
import { DASHBOARD_CLIENT_SCRIPT } from './dashboard-client.js';
import type { DashboardData } from './dashboard-data.js';

/**
 * The dashboard as ONE self-contained HTML file: the charting library (Vega, Vega-Lite,
 * Vega-Embed, ADR 0014) inlined, the data embedded as JSON, no external request of any kind (a
 * Content-Security-Policy forbids fetches, frames, fonts and remote images, so the page also
 * works offline and cannot be made to call out).
 *
 * Escaping: text put into HTML goes through {@link escapeHtml}; the data is JSON inside a
 * `<script type="application/json">` with `<`, `>`, `&` and the JavaScript line separators
 * written as `\u` escapes, so no value can close the script or open a tag; the page's own script
 * writes values with `textContent`, never as HTML.
 */
export interface DashboardAssets {
  /** vega/build/vega.min.js */
  readonly vega: string;
  /** vega-lite/build/vega-lite.min.js */
  readonly vegaLite: string;
  /** vega-embed/build/vega-embed.min.js */
  readonly vegaEmbed: string;
}

/** The page's Content-Security-Policy: nothing leaves the page (Vega compiles expressions: eval). */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'none'; form-action 'none'; base-uri 'none'";

export function renderDashboardPage(data: DashboardData, assets: DashboardAssets): string {
  const tabs = data.pages
    .map(
      (page, i) =>
        `<button type="button" role="tab" class="tab" id="tab-${escapeHtml(page.id)}" data-page="${escapeHtml(page.id)}" aria-selected="${i === 0 ? 'true' : 'false'}">${escapeHtml(page.title)}</button>`,
    )
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en-GB">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(DASHBOARD_CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(data.title)}</h1>`,
    `<p class="meta">Built ${escapeHtml(data.generatedAt)} from the published (disclosure-controlled) marts only. Synthetic data.</p>`,
    `<p class="legend" id="suppression-legend"><strong>*</strong> = a count from 1 to ${data.policy.minCell - 1}, suppressed (or suppressed so that such a count cannot be worked out from a total). Every other count is rounded to the nearest ${data.policy.roundTo}; totals are rounded from exact values, percentages come from the rounded figures. Policy: ${escapeHtml(data.policy.name)}. Charts leave suppressed cells out.</p>`,
    '<form class="filters" id="filters" onsubmit="return false">',
    '<label>Trust <select id="filter-trust"><option value="">All trusts</option></select></label>',
    '<label>From <select id="filter-from"></select></label>',
    '<label>To <select id="filter-to"></select></label>',
    '</form>',
    `<nav role="tablist">${tabs}</nav>`,
    '</header>',
    '<main id="pages"></main>',
    `<script type="application/json" id="dashboard-data">${jsonForScript(data)}</script>`,
    inlineScript(assets.vega, 'vega'),
    inlineScript(assets.vegaLite, 'vega-lite'),
    inlineScript(assets.vegaEmbed, 'vega-embed'),
    `<script>${DASHBOARD_CLIENT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Text for an HTML element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON that can sit inside a `<script>` element: no `<`, `>` or `&`, no U+2028/U+2029. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A library inlined in a `<script>` element. Its text must not end the element (`</script`) or
 * switch the HTML parser's script state (`<!--`): the shipped builds do neither, and a build that
 * did is refused rather than altered.
 */
function inlineScript(code: string, name: string): string {
  if (/<\/script|<!--/i.test(code))
    throw new InvariantError(`dashboard: the ${name} build holds '</script' or '<!--' and cannot be inlined`);
  return `<script>${code}</script>`;
}

const STYLE = `
:root { --nhs-blue: #005eb8; --ink: #212b32; --grey: #4c6272; --pale: #f0f4f5; }
* { box-sizing: border-box; }
body { margin: 0; font-family: Arial, Helvetica, sans-serif; color: var(--ink); background: #fff; }
header { background: var(--pale); padding: 12px 24px 0; border-bottom: 1px solid #d8dde0; position: sticky; top: 0; z-index: 2; }
h1 { margin: 0 0 4px; font-size: 22px; color: var(--nhs-blue); }
h2 { font-size: 18px; margin: 0 0 4px; }
.meta { margin: 0; color: var(--grey); font-size: 13px; }
.legend { margin: 6px 0; font-size: 13px; background: #fff9c4; padding: 6px 8px; border-left: 4px solid #ffb81c; }
.filters { display: flex; gap: 16px; margin: 8px 0; font-size: 14px; }
.filters select { margin-left: 4px; font-size: 14px; }
nav { display: flex; gap: 4px; }
.tab { border: 1px solid #d8dde0; border-bottom: none; background: #e8edee; padding: 8px 14px; cursor: pointer; font-size: 14px; }
.tab[aria-selected="true"] { background: #fff; color: var(--nhs-blue); font-weight: bold; }
main { padding: 16px 24px; }
section.page { display: none; }
section.page.active { display: block; }
.card { border: 1px solid #d8dde0; border-radius: 4px; padding: 12px 16px; margin-bottom: 16px; }
.question { color: var(--grey); margin: 0 0 8px; font-size: 14px; }
.card-controls { display: block; font-size: 13px; margin-bottom: 8px; }
.chart { display: block; min-height: 60px; }
.empty { color: var(--grey); font-style: italic; }
.table-wrap { max-height: 280px; overflow: auto; margin-top: 8px; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #d8dde0; padding: 2px 6px; text-align: right; }
th { background: var(--pale); position: sticky; top: 0; }
td.dim, th.dim { text-align: left; }
td.suppressed { color: #b71c1c; font-weight: bold; text-align: center; }
`;
