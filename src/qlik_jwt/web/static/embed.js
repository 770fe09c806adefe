// The embedding page: establish a Qlik session, then show the user, the charts and the frame.
//
// Everything the page needs is inlined by the server (#bootstrap), so the first request
// goes to Qlik at once. Independent steps run side by side.

import { createQlikSession, QlikFlowError } from "./qlik-session.js";
import { createQlikBearerSession } from "./qlik-bearer.js";

const bootstrap = JSON.parse(document.getElementById("bootstrap").textContent);
const { config } = bootstrap;

const stepElement = (name) => document.querySelector(`[data-step="${name}"]`);

function setStep(name, state, note = "") {
  const element = stepElement(name);
  element.dataset.state = state;
  if (note) {
    element.title = note;
  }
}

function skipPending() {
  document.querySelectorAll('#steps [data-state="pending"]').forEach((element) => {
    element.dataset.state = "skipped";
  });
}

function showProblem(kind, message, { fix = "", detail = "" } = {}) {
  const box = document.getElementById("problem");
  box.hidden = false;
  box.dataset.kind = kind;
  const paragraph = (className, text) => {
    const element = document.createElement("div");
    element.className = className;
    element.textContent = text;
    box.append(element);
  };
  paragraph("message", message);
  if (fix) paragraph("fix", fix);
  if (detail) paragraph("detail", detail);
}

function showQlikUser(user) {
  const groups = (user.assignedGroups || []).map((group) => group.name);
  const parts = [
    `${user.name} (${user.subject})`,
    user.email ? `e-mail ${user.email}` : "no e-mail shown (not verified)",
    groups.length ? `groups: ${groups.join(", ")}` : "no groups",
  ];
  const element = document.getElementById("qlik-user");
  element.textContent = parts.join(" · ");
  element.dataset.subject = user.subject;
  return groups;
}

function showFrame(qlik) {
  if (!config.objectId && !config.sheetId) {
    setStep("iframe", "skipped", "no object or sheet id configured");
    return;
  }
  const url = qlik.singleUrl(config);
  if (!url) {
    setStep("iframe", "skipped", "the /single/ iframe cannot carry an access token: serve the page with the FastAPI integration or the web app, which forward it");
    return;
  }
  const frame = document.getElementById("qlik-iframe");
  frame.addEventListener("load", () => setStep("iframe", "done"), { once: true });
  frame.src = url;
}

// Opens the engine socket at once; opens the app only after `session.user` confirmed whose
// session it is. Resolves when every chart has drawn or failed (each cell says which).
async function startEngine(qlik, session) {
  // Preloaded by the page; imported here so a broken chart cannot stop the login flow.
  const view = await import("./nebula-view.js");
  const container = document.getElementById("charts");
  const { app, closed } = await view.openApp({
    url: await qlik.engineUrl(config.appId, session.csrfToken),
    appId: config.appId,
    ready: session.user,
    onConnected: () => setStep("engine", "done"),
    onClosed: (error) => {
      view.failPending(container, error);
      engineClosed(error);
    },
  });
  const ids = await view.objectIds(app, config);
  if (!ids.length) {
    throw new view.EngineError("no-objects", `App ${config.appId} has no sheet and no object ids are configured.`, {
      fix: "Set QLIK_CHART_OBJECT_IDS (or QLIK_OBJECT_ID / QLIK_SHEET_ID) to the objects to show.",
    });
  }
  const results = await view.renderCharts({
    app,
    closed,
    ids,
    container,
    selectionsElement: document.getElementById("selections"),
    onDrawn: () => {
      if (!document.body.dataset.firstChartMs) {
        document.body.dataset.firstChartMs = String(Math.round(performance.now()));
      }
    },
  });
  const failures = results.filter((result) => !result.ok);
  if (failures.length === results.length) throw failures[0].error;
  if (failures.length) {
    const first = failures[0].error;
    showProblem(first.kind, `${failures.length} of ${results.length} charts could not be drawn: ${failures.map((f) => f.id).join(", ")}. ${first.message}`, { fix: first.fix });
  }
}

// The web app closes the engine socket with 4401 when the user's session ends (signed out
// in another tab, another user signed in, the session expired).
const SESSION_ENDED = 4401;

function engineClosed(error) {
  const { code, reason } = error;
  document.body.dataset.engineClosed = `${code} ${reason}`;
  document.body.dataset.engineClosedAt = String(Date.now());
  if (code === SESSION_ENDED) {
    showProblem("session-ended", "Your session has ended, so the analytics are closed.", {
      fix: "Sign in again (you may have signed out in another tab).",
      detail: reason,
    });
  } else {
    showProblem(error.kind, error.message, { fix: error.fix });
  }
}

// Direct mode: the browser holds Qlik's session itself, so sign-out first ends it at the
// tenant (as far as Qlik allows: see the README), then submits the form. Proxy mode has
// no token URL: the web app ends the session it holds.
function endQlikSessionOnSignOut(qlik, established) {
  const form = document.querySelector('form[action="/sign-out"]');
  if (!form || !bootstrap.tokenUrl) return;
  form.addEventListener(
    "submit",
    async (event) => {
      event.preventDefault();
      const session = await Promise.race([established, null]);
      const waited = new Promise((resolve) => setTimeout(resolve, 2000));
      await Promise.race([qlik.logout(session ? session.csrfToken : null), waited]);
      form.submit();
    },
    { once: true },
  );
}

function explainEngineFailure(error, user, groups) {
  const step = stepElement("engine").dataset.state === "done" ? "chart" : "engine";
  setStep(step, "failed");
  if (error.kind === "access-denied") {
    showProblem(
      "app-access-denied",
      `Qlik refused to open app ${config.appId} for ${user.name}: none of the user's groups (${groups.join(", ") || "none"}) is granted the app's space.`,
      {
        fix:
          config.loginMode === "impersonation"
            ? "Grant one of these groups access to the space holding the app, or add the user to a group that has it in the tenant (an impersonation token carries no groups: the user's tenant groups apply)."
            : "Grant one of these groups access to the space holding the app, or give the user a group that has it (the host app decides the groups in the token).",
        detail: error.message,
      },
    );
  } else if (error.kind && error.kind !== "engine") {
    showProblem(error.kind, error.message, { fix: error.fix || "" });
  } else {
    showProblem("engine-failed", "The Qlik engine connection failed.", { detail: error.message || String(error) });
  }
  skipPending();
}

function failed(error) {
  setStep("session", "failed");
  if (error instanceof QlikFlowError && error.kind === "interactive-login-needed") {
    document.getElementById("login-link").hidden = false;
    document.getElementById("login-anchor").href = error.link;
  }
  showProblem(error.kind || "error", error.message, error);
  skipPending();
}

async function main() {
  const create = bootstrap.auth === "bearer" ? createQlikBearerSession : createQlikSession;
  const qlik = create({
    baseUrl: bootstrap.qlikBaseUrl,
    webIntegrationId: config.webIntegrationId,
    loginMode: config.loginMode,
    subject: bootstrap.subject,
    tokenUrl: bootstrap.tokenUrl,
    csrfHeader: bootstrap.csrfHeader,
    csrfToken: bootstrap.csrfToken,
    sessionLikely: bootstrap.qlikSessionLikely,
    onWaiting: (message) => setStep("session", "waiting", message),
    clientId: bootstrap.clientId,
    frameBaseUrl: bootstrap.frameBaseUrl,
  });
  let session;
  let engine;
  let user;
  let established;
  const sessionKnown = new Promise((resolve) => {
    established = resolve;
  });
  endQlikSessionOnSignOut(qlik, sessionKnown);
  try {
    session = await qlik.establish();
    established(session);
    engine = startEngine(qlik, session);
    engine.catch(() => {}); // handled below
    try {
      user = await session.user;
    } catch (error) {
      if (error.kind !== "other-qlik-user") throw error;
      // A session left by another user of this browser: log in as ours instead.
      session = await qlik.login();
      established(session);
      engine = startEngine(qlik, session);
      engine.catch(() => {});
      user = await session.user;
    }
  } catch (error) {
    failed(error);
    return;
  }
  setStep("session", "done", session.reused ? "reused an existing Qlik session" : "new Qlik session");
  document.body.dataset.qlikSession = session.reused ? "reused" : "new";
  const groups = showQlikUser(user);
  setStep("user", "done");
  showFrame(qlik);
  try {
    await engine;
    setStep("chart", "done");
  } catch (error) {
    explainEngineFailure(error, user, groups);
  }
}

main();
