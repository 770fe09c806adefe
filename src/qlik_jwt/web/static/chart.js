// chart.js: a hypercube as an accessible SVG bar chart, and as a data table (ES module).
//
// Input is a `qHyperCube` layout (dimensions first, then measures, rows in
// `qDataPages[0].qMatrix`). Output is markup as a string, every text escaped, so it can be
// tested without a DOM; `renderBarChart` puts it into an element.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Escape text for HTML or SVG element content and attribute values. */
export function escapeMarkup(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function rowsOf(hyperCube) {
  const pages = hyperCube.qDataPages || [];
  return pages.flatMap((page) => page.qMatrix || []);
}

/** `[{ label, value, text }]`: one bar per row for measure number `measure` (from 0). */
export function hypercubeBars(hyperCube, { measure = 0 } = {}) {
  const dims = (hyperCube.qDimensionInfo || []).length;
  return rowsOf(hyperCube).map((row) => {
    const cell = row[dims + measure] || { qText: '-', qNum: 'NaN' };
    const value = typeof cell.qNum === 'number' ? cell.qNum : null;
    const label = row.slice(0, dims).map((c) => c.qText).join(' / ');
    return { label, value, text: cell.qText };
  });
}

/**
 * The SVG markup of a vertical bar chart. Options: `title` (defaults to the measure's
 * title), `measure` (index), `id` (prefix of element ids), `width`, `height`.
 */
export function barChartSvg(hyperCube, options = {}) {
  const { measure = 0, id = 'bar-chart', width = 640, height = 320 } = options;
  const info = (hyperCube.qMeasureInfo || [])[measure] || { qFallbackTitle: '' };
  const title = options.title || info.qFallbackTitle;
  const bars = hypercubeBars(hyperCube, { measure });
  const values = bars.map((b) => b.value).filter((v) => v !== null);
  const high = Math.max(0, ...values);
  const low = Math.min(0, ...values);
  const span = high - low || 1;
  const top = 28;
  const bottom = 48;
  const side = 16;
  const plot = height - top - bottom;
  const zeroY = top + (plot * high) / span;
  const slot = (width - 2 * side) / Math.max(1, bars.length);
  const ident = escapeMarkup(id);
  const parts = [
    `<svg xmlns="${SVG_NS}" class="bar-chart" role="img" viewBox="0 0 ${width} ${height}" width="100%" aria-labelledby="${ident}-title ${ident}-desc">`,
    `<title id="${ident}-title">${escapeMarkup(title)}</title>`,
    `<desc id="${ident}-desc">${escapeMarkup(info.qFallbackTitle)} for ${bars.length} categories</desc>`,
    `<line class="axis" x1="${side}" x2="${width - side}" y1="${zeroY.toFixed(1)}" y2="${zeroY.toFixed(1)}" stroke="#999"/>`,
  ];
  bars.forEach((bar, i) => {
    const x = side + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const value = bar.value || 0;
    const y = zeroY - (plot * Math.max(value, 0)) / span;
    const h = (plot * Math.abs(value)) / span;
    const label = escapeMarkup(bar.label);
    const text = escapeMarkup(bar.text);
    const center = (x + w / 2).toFixed(1);
    parts.push(
      `<g class="bar"><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="#4477aa"><title>${label}: ${text}</title></rect>`
      + `<text class="value" x="${center}" y="${(Math.min(y, zeroY) - 6).toFixed(1)}" text-anchor="middle">${text}</text>`
      + `<text class="label" x="${center}" y="${height - bottom + 20}" text-anchor="middle">${label}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The rows as an HTML table: dimension values as row headers, measures as numbers. */
export function hypercubeTableHtml(hyperCube, { caption = '' } = {}) {
  const dims = (hyperCube.qDimensionInfo || []).map((d) => d.qFallbackTitle);
  const measures = (hyperCube.qMeasureInfo || []).map((m) => m.qFallbackTitle);
  const head = [...dims, ...measures].map((t) => `<th scope="col">${escapeMarkup(t)}</th>`).join('');
  const body = rowsOf(hyperCube).map((row) => {
    const cells = row.map((cell, i) => (i < dims.length
      ? `<th scope="row">${escapeMarkup(cell.qText)}</th>`
      : `<td class="num" data-num="${escapeMarkup(cell.qNum)}">${escapeMarkup(cell.qText)}</td>`));
    return `<tr>${cells.join('')}</tr>`;
  }).join('');
  const captionHtml = caption ? `<caption>${escapeMarkup(caption)}</caption>` : '';
  return `<table class="qlik-data">${captionHtml}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Render the bar chart (and, unless `table: false`, the data table) into `element`. */
export function renderBarChart(element, hyperCube, options = {}) {
  const table = options.table === false ? '' : hypercubeTableHtml(hyperCube, { caption: options.title });
  element.innerHTML = barChartSvg(hyperCube, options) + table; // every text is escaped above
  return element;
}
