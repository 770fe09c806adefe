// Engine side of the page: open the app over the engine websocket, read the configured
// object's hypercube and draw it. Uses qix.js (JSON-RPC client) and chart.js (SVG chart).

import { openDoc, openSession } from "./qix.js";
import { renderBarChart } from "./chart.js";

export class EngineError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = "EngineError";
    this.kind = kind;
  }
}

// The engine's answer to OpenDoc for an app the user may not open: 5 "Access denied"
// (LOCERR_GENERIC_ACCESS_DENIED).
const ACCESS_DENIED = 5;

function asEngineError(error) {
  if (error instanceof EngineError) {
    return error;
  }
  const kind = error && error.code === ACCESS_DENIED ? "access-denied" : "engine";
  return new EngineError(kind, (error && error.message) || String(error));
}

// Opens the socket at once, then waits for `ready` (a promise) before reading any data;
// if `ready` rejects, the socket is closed and its error rethrown. Resolves with the
// object's layout once the chart is drawn; the session stays open, and `onClosed` gets
// `{ code, reason }` when it closes (4401: the user's session ended, see the README).
export async function renderEngineChart({ url, appId, objectId, ready, container, title, onConnected, onClosed }) {
  let session;
  try {
    session = await openSession(url);
  } catch (error) {
    throw new EngineError("engine", `The engine websocket did not open: ${error.message || error}`);
  }
  try {
    await ready;
  } catch (error) {
    session.close();
    throw error;
  }
  try {
    const doc = await openDoc(session, appId);
    onConnected();
    const object = await session.call(doc.handle, "GetObject", [objectId]);
    const { qLayout: layout } = await session.call(object.qReturn.qHandle, "GetLayout", []);
    const chartTitle = layout.title || objectId;
    if (title) {
      title.textContent = chartTitle;
    }
    renderBarChart(container, layout.qHyperCube, { title: chartTitle, id: "engine-chart" });
    container.dataset.objectId = objectId;
    if (onClosed) session.closed.then(onClosed);
    return layout;
  } catch (error) {
    session.close();
    throw asEngineError(error);
  }
}
