// Engine side of the page: open the app over the engine websocket, read the configured
// object's hypercube and draw it. Uses qix.js (JSON-RPC client) and chart.js (SVG chart).

import { openSession } from "./qix.js";
import { renderBarChart } from "./chart.js";

const GLOBAL = -1;

export class EngineError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = "EngineError";
    this.kind = kind;
  }
}

// The engine's answer to OpenDoc for an app the user may not open: 5 "Access denied"
// (LOCERR_GENERIC_ACCESS_DENIED).
const ACCESS_DENIED = new Set([5]);

function engineError(error) {
  const code = error && typeof error.code === "number" ? error.code : null;
  const text = [error && error.message, error && error.parameter].filter(Boolean).join(": ") || String(error);
  if (ACCESS_DENIED.has(code) || /access denied/i.test(text)) {
    return new EngineError("access-denied", `engine error ${code}: ${text}`);
  }
  return new EngineError("engine", code === null ? text : `engine error ${code}: ${text}`);
}

export async function renderEngineChart({ url, appId, objectId, container, title, onConnected }) {
  let session;
  try {
    session = await openSession(url);
  } catch (error) {
    throw new EngineError("engine", `The engine websocket did not open: ${error.message || error}`);
  }
  try {
    const doc = await session.call(GLOBAL, "OpenDoc", { qDocName: appId }).catch((error) => {
      throw engineError(error);
    });
    onConnected();
    const docHandle = doc.qReturn.qHandle;
    const object = await session.call(docHandle, "GetObject", { qId: objectId });
    const layout = (await session.call(object.qReturn.qHandle, "GetLayout", {})).qLayout;
    const cube = layout.qHyperCube;
    if (title && layout.title) {
      title.textContent = layout.title;
    }
    renderBarChart(container, cube, { title: layout.title || objectId });
    return layout;
  } catch (error) {
    throw error instanceof EngineError ? error : engineError(error);
  } finally {
    session.close();
  }
}
