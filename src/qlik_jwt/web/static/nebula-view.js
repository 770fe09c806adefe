// Engine side of the page: the app's own objects, by id, drawn by Qlik's visualizations
// (nebula.js stardust and the sn-* charts over enigma.js), with stardust's selections bar.
//
// Qlik's files are served by this app from the package (`/static/<name>`, copied from npm by
// the build: qlik_jwt/embedding/vendor.py); chart modules load only for the types shown.
// The engine URL (and so the credential) comes from the caller: cookies + CSRF token in
// direct mode, this app's own origin in proxy mode; an OAuth access token would ride in it.

const STATIC = new URL("./", import.meta.url);
const BUILD_HINT = "Build Qlik's JavaScript into the package: run `make node-deps` (npm ci, then python src/qlik_jwt/embedding/vendor.py), or install a qlik-jwt wheel, which includes it.";

// Visualization type (qInfo.qType) -> the chart module drawing it; the module's UMD build
// defines a global of the file's name (sn-bar-chart.js -> window["sn-bar-chart"]).
export const CHART_MODULES = {
  barchart: "sn-bar-chart.js",
  linechart: "sn-line-chart.js",
  piechart: "sn-pie-chart.js",
  kpi: "sn-kpi.js",
  table: "sn-table.js",
  filterpane: "sn-filter-pane.js",
};

// The engine's answer to OpenDoc for an app the user may not open: 5 "Access denied".
const ACCESS_DENIED = 5;
// enigma.js's code for GetObject of an id the app does not have (error-codes.js).
const OBJECT_NOT_FOUND = -2;

export class EngineError extends Error {
  constructor(kind, message, { fix = "" } = {}) {
    super(message);
    this.name = "EngineError";
    this.kind = kind;
    this.fix = fix;
  }
}

function asEngineError(error) {
  if (error instanceof EngineError) return error;
  const kind = error && error.code === ACCESS_DENIED ? "access-denied" : "engine";
  return new EngineError(kind, (error && error.message) || String(error));
}

const scripts = new Map();

function missing(name, why) {
  return new EngineError("asset-missing", `Qlik's ${name} could not be loaded from ${new URL(name, STATIC)} (${why}).`, { fix: BUILD_HINT });
}

// A UMD build as a classic script (CSP script-src 'self': it comes from this app).
export function loadScript(name) {
  if (!scripts.has(name)) {
    scripts.set(name, new Promise((resolve, reject) => {
      const element = document.createElement("script");
      element.src = new URL(name, STATIC).href;
      element.async = true;
      element.addEventListener("load", () => resolve());
      element.addEventListener("error", () => reject(missing(name, "not found")));
      document.head.append(element);
    }));
  }
  return scripts.get(name);
}

async function loadSchema() {
  const response = await fetch(new URL("enigma-schema.json", STATIC));
  if (!response.ok) throw missing("enigma-schema.json", `HTTP ${response.status}`);
  return response.json();
}

// Opens the engine socket at once, then waits for `ready` (the Qlik user check) before
// opening the app; if `ready` rejects, the socket is closed and its error rethrown.
// Resolves with { session, app, closed } (enigma.js objects; `closed()` is the EngineError
// of a socket that closed since, else null). `onClosed(error)` is called when it closes.
export async function openApp({ url, appId, ready, onConnected, onClosed }) {
  const [schema] = await Promise.all([loadSchema(), loadScript("enigma.min.js")]);
  const session = window.enigma.create({ schema, url, suspendOnClose: false });
  let global;
  try {
    global = await session.open();
  } catch (error) {
    throw new EngineError("engine", `The engine websocket did not open: ${error.message || error}`);
  }
  try {
    await ready;
  } catch (error) {
    session.close();
    throw error;
  }
  let app;
  try {
    app = await global.openDoc(appId);
  } catch (error) {
    session.close();
    throw asEngineError(error);
  }
  onConnected();
  let closedError = null;
  session.on("closed", (event) => {
    const { code = 0, reason = "" } = event || {};
    closedError = new EngineError("engine-closed", `The engine connection closed${code ? ` (code ${code})` : ""} while the page was using it.`, {
      fix: "Reload the page to reconnect; if it keeps closing, check the tenant (or the proxy) logs.",
    });
    Object.assign(closedError, { code, reason });
    if (onClosed) onClosed(closedError);
  });
  return { session, app, closed: () => closedError };
}

// The objects to draw: the configured ids, else the cells of the configured sheet, else
// those of the app's first sheet.
export async function objectIds(app, { chartObjectIds = [], objectId = null, sheetId = null }) {
  if (chartObjectIds.length) return chartObjectIds;
  if (objectId) return [objectId];
  let sheet = sheetId;
  if (!sheet) {
    const infos = await app.getAllInfos();
    sheet = (infos.find((info) => info.qType === "sheet") || {}).qId;
    if (!sheet) return [];
  }
  const model = await app.getObject(sheet);
  const properties = await model.getProperties();
  const cells = [...(properties.cells || [])].sort((a, b) => (a.row - b.row) || (a.col - b.col));
  return cells.map((cell) => cell.name);
}

async function checkObject(app, id) {
  let model;
  try {
    model = await app.getObject(id);
  } catch (error) {
    if (error.code !== OBJECT_NOT_FOUND) throw error;
    throw new EngineError("unknown-object", `The app has no object "${id}".`, {
      fix: "Check QLIK_CHART_OBJECT_IDS (or QLIK_OBJECT_ID / QLIK_SHEET_ID): use the ids in the app's sheets (the object's menu in Qlik Sense, 'Share' > 'Embed', shows its id).",
    });
  }
  const type = model.genericType;
  if (!CHART_MODULES[type]) {
    throw new EngineError("no-chart-module", `Object "${id}" is a ${type}, and this page loads no chart module for that type.`, {
      fix: `Show objects of the types ${Object.keys(CHART_MODULES).join(", ")}, or add the type's sn-* npm package to package.json and to CHART_MODULES (qlik_jwt/embedding/vendor.py and nebula-view.js).`,
    });
  }
  return type;
}

function chartCell(container, id) {
  const cell = document.createElement("figure");
  cell.className = "qlik-chart";
  cell.dataset.objectId = id;
  cell.dataset.state = "pending";
  const element = document.createElement("div");
  element.className = "qlik-chart-body";
  cell.append(element);
  container.append(cell);
  return { cell, element };
}

function showCellProblem(cell, error) {
  cell.dataset.state = "failed";
  cell.dataset.kind = error.kind || "chart";
  const box = document.createElement("div");
  box.className = "problem";
  box.setAttribute("role", "alert");
  box.textContent = error.message || String(error);
  if (error.fix) {
    const fix = document.createElement("div");
    fix.className = "fix";
    fix.textContent = error.fix;
    box.append(fix);
  }
  cell.replaceChildren(box);
}

// Draws each object into its own cell of `container`; one failing never stops the others.
// Resolves with [{ id, ok, error }] once every chart has drawn or failed; `onDrawn(id)` is
// called as each chart appears.
export async function renderCharts({ app, closed, ids, container, selectionsElement, onDrawn = () => {} }) {
  await loadScript("stardust.js");
  const types = Object.entries(CHART_MODULES).map(([name, file]) => ({
    name,
    load: () => loadScript(file).then(() => window[file.replace(/\.js$/, "")]),
  }));
  const nebbie = window.stardust.embed(app, { types, context: { theme: "light", language: "en-US" } });
  const toolbar = nebbie.selections().then((selections) => selections.mount(selectionsElement));
  const results = await Promise.all(ids.map(async (id) => {
    const { cell, element } = chartCell(container, id);
    try {
      const type = await checkObject(app, id);
      cell.dataset.type = type;
      await loadScript(CHART_MODULES[type]);
      await nebbie.render({ element, id });
      cell.dataset.state = "done";
      onDrawn(id);
      return { id, ok: true };
    } catch (error) {
      const failure = closed() || (error instanceof EngineError
        ? error
        : new EngineError("chart", `Object "${id}" could not be drawn: ${error.message || error}`));
      showCellProblem(cell, failure);
      return { id, ok: false, error: failure };
    }
  }));
  await toolbar;
  return results;
}

// Marks every chart still drawing as failed (the engine closed under it).
export function failPending(container, error) {
  container.querySelectorAll('.qlik-chart[data-state="pending"]').forEach((cell) => showCellProblem(cell, error));
}
